package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dwshim/dwshim/plan"
	"github.com/dwshim/dwshim/runner"
	"github.com/dwshim/dwshim/runner/docker"
)

type fileFetcher struct{ path, id string }

func (f fileFetcher) Fetch(context.Context, plan.Image) (io.ReadCloser, string, error) {
	r, err := os.Open(f.path)
	return r, f.id, err
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchload FILE [IDENTITY]")
		os.Exit(2)
	}
	id := fmt.Sprintf("bench/%d", time.Now().UnixNano())
	if len(os.Args) > 2 {
		id = os.Args[2]
	}
	e, err := docker.New(docker.Options{ImageRepo: "dwshim-bench/artifact"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer e.Close()
	task := &runner.Task{
		Plan: &plan.Plan{Image: plan.Image{Kind: plan.ImageTaskArtifact, TaskID: "bench", Path: "public/image.tar.zst"}},
		Key:  "benchload", WorkerID: "benchload",
		Images: fileFetcher{os.Args[1], id},
	}
	start := time.Now()
	err = e.Prepare(context.Background(), task, io.Discard)
	elapsed := time.Since(start)
	_ = e.Destroy(context.Background(), task)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%.2f\n", elapsed.Seconds())
}
