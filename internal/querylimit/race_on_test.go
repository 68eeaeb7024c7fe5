//go:build race

package querylimit_test

// timeScale stretches the time budgets of the tests under the race
// detector, which slows the code tenfold or more.
const timeScale = 20
