package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/moby/moby/client"

	"github.com/dwshim/dwshim/runner/docker/internal/testimages"
)

type labels map[string]string

func (l labels) String() string { return fmt.Sprint(map[string]string(l)) }
func (l labels) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return errors.New("want K=V")
	}
	l[k] = v
	return nil
}

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "testimages:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("testimages", flag.ContinueOnError)
	out := fs.String("out", "", "write the image tarball to this file")
	comp := fs.String("compress", "none", "none, gzip, zstd, lz4, xz or bzip2")
	tag := fs.String("tag", testimages.BaseImage, "image tag")
	load := fs.Bool("load", false, "load into the daemon")
	ifMissing := fs.Bool("if-missing", false, "skip when the tag exists")
	push := fs.String("push", "", "tag as this reference and push")
	filler := fs.Int64("filler", 0, "incompressible filler bytes")
	lbl := labels{}
	fs.Var(lbl, "label", "image label K=V")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := testimages.Options{Tags: []string{*tag}, Compression: *comp, Labels: lbl, FillerBytes: *filler}
	if *out != "" {
		if err := testimages.BuildFile(*out, o); err != nil {
			return err
		}
	}
	if *out != "" && !*load && *push == "" {
		return nil
	}
	cli, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer cli.Close()
	_, ierr := cli.ImageInspect(ctx, *tag)
	if ierr != nil || !*ifMissing {
		if err := loadImage(ctx, cli, testimages.Options{Tags: o.Tags, Labels: lbl, FillerBytes: *filler}); err != nil {
			return err
		}
		fmt.Println("loaded", *tag)
	}
	if *push == "" {
		return nil
	}
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: *tag, Target: *push}); err != nil {
		return fmt.Errorf("tag %s: %w", *push, err)
	}
	resp, err := cli.ImagePush(ctx, *push, client.ImagePushOptions{RegistryAuth: base64.URLEncoding.EncodeToString([]byte("{}"))})
	if err != nil {
		return fmt.Errorf("push %s: %w", *push, err)
	}
	defer resp.Close()
	if err := resp.Wait(ctx); err != nil {
		return fmt.Errorf("push %s: %w", *push, err)
	}
	fmt.Println("pushed", *push)
	return nil
}

// loadImage streams a fresh build into the daemon's image load.
func loadImage(ctx context.Context, cli *client.Client, o testimages.Options) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(testimages.Build(pw, o)) }()
	res, err := cli.ImageLoad(ctx, pr)
	if err != nil {
		pr.CloseWithError(err)
		return fmt.Errorf("load: %w", err)
	}
	defer res.Close()
	b, err := io.ReadAll(res)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if strings.Contains(string(b), `"errorDetail"`) {
		return fmt.Errorf("load: %s", b)
	}
	return nil
}
