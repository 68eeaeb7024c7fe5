//go:build !unix

package loadtest

import "time"

func maxRSS() int64 { return 0 }

func processCPU() time.Duration { return 0 }
