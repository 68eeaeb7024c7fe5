//go:build !unix

package loadtest

func maxRSS() int64 { return 0 }
