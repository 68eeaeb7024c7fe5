package querylimit

// CountTokens exposes the token counter to the tests.
func CountTokens(q string, limit int) int { return countTokens(q, limit) }
