//go:build !unix

package bench

import "time"

// cpuTimes is not measured on this platform: results report 0.
func cpuTimes() (user, sys time.Duration) { return 0, 0 }
