//go:build !race

package querylimit_test

// timeScale stretches the time budgets of the tests (see race_on_test.go).
// Wall-clock budgets here catch pathological (quadratic) cases and leave room
// for a busy machine; the 50 ms server-time requirement is asserted on CPU
// time by internal/server's TestHostileRequests.
const timeScale = 4
