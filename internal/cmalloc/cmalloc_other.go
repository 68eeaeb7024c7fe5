//go:build !linux || !cgo

// Package cmalloc tunes the C allocator; only glibc needs it (cmalloc_linux.go).
package cmalloc

// Compact does nothing here.
func Compact() {}

// Trim does nothing here.
func Trim() {}
