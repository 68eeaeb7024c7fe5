//go:build !race

package querylimit_test

// timeScale stretches the time budgets of the tests (see race_on_test.go).
const timeScale = 1
