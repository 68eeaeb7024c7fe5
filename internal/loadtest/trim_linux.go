//go:build linux && cgo

package loadtest

// #include <malloc.h>
import "C"

// returnFreedCMemory gives the C heap's free pages back to the system
// (glibc keeps them otherwise): SQLite's page caches, freed when the SQLite
// scenarios close their database, would stay in the RSS that the PostgreSQL
// scenarios after them are measured from.
func returnFreedCMemory() { C.malloc_trim(0) }
