package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
)

func main() {
	def := "/var/run/docker.sock"
	if h, ok := strings.CutPrefix(os.Getenv("DOCKER_HOST"), "unix://"); ok {
		def = h // the daemon dwshim and docker talk to
	}
	sock := flag.String("socket", def, "the daemon's Unix socket (default: $DOCKER_HOST's when it is one)")
	bodyFile := flag.String("body", "", "JSON body of the container create request")
	flag.Parse()
	code, err := run(*sock, *bodyFile, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "enginefloor:", err)
		os.Exit(125)
	}
	os.Exit(code)
}

// run runs the container and copies its output to out; it returns the
// container's exit code.
func run(sock, bodyFile string, out io.Writer) (int, error) {
	body, err := os.ReadFile(bodyFile)
	if err != nil {
		return 0, err
	}
	dial := func(context.Context, string, string) (net.Conn, error) { return net.Dial("unix", sock) }
	cl := &http.Client{Transport: &http.Transport{DialContext: dial}}

	ping, err := cl.Head("http://docker/_ping")
	if err != nil {
		return 0, fmt.Errorf("ping: %w", err)
	}
	ping.Body.Close()
	base := "http://docker/v" + ping.Header.Get("Api-Version")

	resp, err := cl.Post(base+"/containers/create", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("create: %w", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("create: %s: %s", resp.Status, b)
	}
	var created struct {
		ID string `json:"Id"`
	}
	if err := json.Unmarshal(b, &created); err != nil {
		return 0, fmt.Errorf("create: %w", err)
	}
	id := created.ID

	// The events subscription and the attach, together, before the start.
	died := make(chan int, 1)
	evErr := make(chan error, 1)
	go func() {
		filters, _ := json.Marshal(map[string]map[string]bool{
			"container": {id: true}, "event": {"die": true}, "type": {"container": true},
		})
		r, err := cl.Get(base + "/events?filters=" + url.QueryEscape(string(filters)))
		if err != nil {
			evErr <- err
			return
		}
		defer r.Body.Close()
		dec := json.NewDecoder(r.Body)
		for {
			var m struct {
				Action string
				Actor  struct{ Attributes map[string]string }
			}
			if err := dec.Decode(&m); err != nil {
				evErr <- fmt.Errorf("events: %w", err)
				return
			}
			if m.Action == "die" {
				code, err := strconv.Atoi(m.Actor.Attributes["exitCode"])
				if err != nil {
					evErr <- fmt.Errorf("die event: %w", err)
					return
				}
				died <- code
				return
			}
		}
	}()
	att, err := attach(sock, strings.TrimPrefix(base, "http://docker"), id)
	if err != nil {
		return 0, err
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		io.Copy(out, att)
	}()
	start, err := cl.Post(base+"/containers/"+id+"/start", "", nil)
	if err != nil {
		return 0, fmt.Errorf("start: %w", err)
	}
	start.Body.Close()
	if start.StatusCode != http.StatusNoContent {
		return 0, fmt.Errorf("start: %s", start.Status)
	}
	select {
	case code := <-died:
		<-copied
		return code, nil
	case err := <-evErr:
		return 0, err
	}
}

// attach opens the container's output stream (an upgraded connection).
func attach(sock, prefix, id string) (io.Reader, error) {
	c, err := net.Dial("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	fmt.Fprintf(c, "POST %s/containers/%s/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n", prefix, id)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols && resp.StatusCode != http.StatusOK {
		return nil, errors.New("attach: " + resp.Status)
	}
	return br, nil
}
