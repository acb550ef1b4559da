package lint

import (
	"github.com/dwshim/dwshim/gwconfig"
)

// OptionsFor returns the options a pool's generic-worker config implies:
// its d2gConfig (enableD2G does not matter for linting), its
// maxTaskRunTime, and the feature switches (GWFeatureKeys) it sets to
// false. A switch the file leaves out is not checked.
func OptionsFor(c *gwconfig.Config) Options {
	opts := Options{Config: c.D2GConfig, MaxTaskRunTime: int64(c.MaxTaskRunTime)}
	for _, f := range gwFeatures {
		if c.IsSet(f.key) && !f.on(c) {
			if opts.DisabledFeatures == nil {
				opts.DisabledFeatures = map[string]bool{}
			}
			opts.DisabledFeatures[f.key] = true
		}
	}
	return opts
}

// ParseWorkerConfig is OptionsFor on a generic-worker config document
// (gwconfig.Parse: a worker-manager document with the config under
// genericWorker.config or config is accepted too).
func ParseWorkerConfig(b []byte) (Options, error) {
	c, err := gwconfig.Parse(b)
	if err != nil {
		return Options{}, err
	}
	return OptionsFor(&c), nil
}
