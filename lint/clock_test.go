package lint

import "time"

// timeNow is the benchmark's clock (benchmarks only; the linter itself
// never reads the time).
var timeNow = time.Now
