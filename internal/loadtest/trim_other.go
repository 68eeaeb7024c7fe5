//go:build !linux || !cgo

package loadtest

// returnFreedCMemory: only glibc needs telling (trim_linux.go).
func returnFreedCMemory() {}
