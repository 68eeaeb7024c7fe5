package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// apiKey is one configured key: only its digest is kept.
type apiKey struct {
	digest [sha256.Size]byte
	role   Role
}

// HashKey returns the hex SHA-256 of key, the form API_KEYS stores. A plain
// hash (no salt, no KDF) is enough because keys are 256-bit random values,
// not passwords: there is nothing to brute-force. The shell equivalent is
//
//	printf %s "$KEY" | sha256sum | cut -d' ' -f1
//
// (printf, not echo: a trailing newline would change the digest).
func HashKey(key string) string {
	d := sha256.Sum256([]byte(key))
	return hex.EncodeToString(d[:])
}

// parseAPIKeys parses the API_KEYS format, "role:sha256hex,role:sha256hex".
// Errors say which entry is wrong without echoing the digest, in case an
// operator pasted a raw key there by mistake.
func parseAPIKeys(s string) ([]apiKey, error) {
	var keys []apiKey
	seen := map[[sha256.Size]byte]bool{}
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue // tolerate trailing commas and blank lines
		}
		n := i + 1
		roleText, digestHex, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("entry %d: want role:sha256hex", n)
		}
		role, err := ParseRole(roleText)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", n, err)
		}
		digestHex = strings.TrimSpace(digestHex)
		var k apiKey
		if len(digestHex) != hex.EncodedLen(sha256.Size) {
			return nil, fmt.Errorf("entry %d: want %d hex characters (the SHA-256 of the key, not the key itself), got %d",
				n, hex.EncodedLen(sha256.Size), len(digestHex))
		}
		if _, err := hex.Decode(k.digest[:], []byte(digestHex)); err != nil {
			return nil, fmt.Errorf("entry %d: digest is not hexadecimal", n)
		}
		if seen[k.digest] {
			// Two roles for one key would make its role depend on order.
			return nil, fmt.Errorf("entry %d: the same key digest appears twice", n)
		}
		seen[k.digest] = true
		k.role = role
		keys = append(keys, k)
	}
	return keys, nil
}

// verifyAPIKey finds the key among the configured digests. Every digest is
// compared, in constant time, whatever matches, so neither the comparison nor
// the loop tells an attacker how close a guess was or which entry it hit.
func (a *Authenticator) verifyAPIKey(key string) (Principal, error) {
	d := sha256.Sum256([]byte(key))
	found := -1
	for i := range a.apiKeys {
		if subtle.ConstantTimeCompare(d[:], a.apiKeys[i].digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, fail(ReasonUnknownKey, errors.New("no configured API key has this digest"))
	}
	k := a.apiKeys[found]
	return Principal{
		// A prefix of the digest identifies the key in logs and can be
		// matched against API_KEYS, without revealing anything usable.
		Subject: "api-key:" + hex.EncodeToString(k.digest[:6]),
		Role:    k.role,
		Method:  MethodAPIKey,
	}, nil
}
