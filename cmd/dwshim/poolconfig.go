package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/dwshim/dwshim/gwconfig"
	"github.com/dwshim/dwshim/translate"
)

// poolConfig reads a --config file (gwconfig.Load: generic-worker's keys
// and defaults) for convert, lint and local; the worker reads its own with
// worker.LoadConfig, through the same gwconfig.Load. The warnings name the
// top-level keys that are no config key (they are ignored).
func poolConfig(file string) (gwconfig.Config, []string, error) {
	c, err := gwconfig.Load(file)
	if err != nil {
		return gwconfig.Config{}, nil, err
	}
	var warns []string
	if u := c.Unknown(); len(u) > 0 {
		warns = append(warns, fmt.Sprintf("%s: ignoring keys dwshim does not read: %s", file, strings.Join(u, ", ")))
	}
	return c, warns, nil
}

// poolD2GConfig is the d2gConfig of a --config file (poolConfig), completed
// on this host (hostD2GConfig); without a file, upstream's offline config.
func poolD2GConfig(file string) (translate.Config, []string, error) {
	if file == "" {
		return translate.OfflineConfig(), nil, nil
	}
	gw, warns, err := poolConfig(file)
	if err != nil {
		return translate.Config{}, nil, err
	}
	cfg, err := hostD2GConfig(gw.D2GConfig)
	return cfg, warns, err
}

// hostD2GConfig completes a d2gConfig on this host: with allowGPUs, the
// host's /dev/nvidia* devices, as d2g reads them.
func hostD2GConfig(c translate.Config) (translate.Config, error) {
	if !c.AllowGPUs {
		return c, nil
	}
	devs, err := nvidiaDevices("/dev")
	if err != nil {
		return translate.Config{}, err
	}
	c.NvidiaDevices = devs
	return c, nil
}

// nvidiaDevices lists dev's nvidia* entries, sorted, as d2g does when
// GPUs are allowed.
func nvidiaDevices(dev string) ([]string, error) {
	entries, err := os.ReadDir(dev)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s to find nvidia devices: %w", dev, err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "nvidia") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}
