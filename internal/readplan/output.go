package readplan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"entgo.io/contrib/entgql"

	"github.com/c360/c360/ent"
)

const hexDigits = "0123456789ABCDEF"

// finish turns the database's JSON into the bytes gqlgen would have written:
// no whitespace between tokens (PostgreSQL's json functions add some),
// strings escaped as gqlgen escapes them (\u00XX in capitals for control
// characters other than \t, \r and \n), and every cursor placeholder
// replaced by its cursor.
func (p *Planner) finish(in []byte) ([]byte, error) {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); i++ {
		ch := in[i]
		switch ch {
		case ' ', '\n', '\t', '\r':
			continue
		case '"':
		default:
			out = append(out, ch)
			continue
		}
		// A string: copy it up to its closing quote, rewriting escapes.
		start := len(out)
		out = append(out, '"')
		i++
		for ; i < len(in) && in[i] != '"'; i++ {
			if in[i] != '\\' {
				out = append(out, in[i])
				continue
			}
			i++
			if i >= len(in) {
				return nil, fmt.Errorf("truncated escape")
			}
			switch e := in[i]; e {
			case 'b':
				out = append(out, `\u0008`...)
			case 'f':
				out = append(out, `\u000C`...)
			case 'u':
				if i+4 >= len(in) {
					return nil, fmt.Errorf("truncated escape")
				}
				code, err := strconv.ParseUint(string(in[i+1:i+5]), 16, 32)
				if err != nil {
					return nil, err
				}
				i += 4
				switch {
				case code == '\t', code == '\n', code == '\r', code == '"', code == '\\':
					out = append(out, '\\', map[uint64]byte{'\t': 't', '\n': 'n', '\r': 'r', '"': '"', '\\': '\\'}[code])
				case code < 0x20:
					out = append(out, '\\', 'u', '0', '0', hexDigits[code>>4], hexDigits[code&0xf])
				default:
					// Neither database escapes other characters; keep the
					// character itself as gqlgen writes it.
					var s string
					if err := json.Unmarshal([]byte(`"\u`+string(in[i-3:i+1])+`"`), &s); err != nil {
						return nil, err
					}
					out = append(out, s...)
				}
			default:
				out = append(out, '\\', e)
			}
		}
		out = append(out, '"')
		if bytes.HasPrefix(out[start+1:], []byte(p.token)) {
			var err error
			if out, err = p.replaceCursor(out, start); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// replaceCursor replaces the placeholder string at out[start:] by its cursor:
// "<token><type>|<order field>|<id>|<order value as JSON>".
func (p *Planner) replaceCursor(out []byte, start int) ([]byte, error) {
	var s string
	if err := json.Unmarshal(out[start:], &s); err != nil {
		return nil, err
	}
	parts := strings.SplitN(strings.TrimPrefix(s, p.token), "|", 4)
	if len(parts) != 4 {
		return nil, fmt.Errorf("malformed cursor placeholder")
	}
	id, err := strconv.Atoi(parts[2])
	if err != nil {
		return nil, err
	}
	cur := entgql.Cursor[int]{ID: id}
	if parts[1] != "" {
		n := ent.ReadPlanNodes[parts[0]]
		if n == nil {
			return nil, fmt.Errorf("cursor of unknown type %s", parts[0])
		}
		for _, col := range n.Columns {
			if col.OrderField == parts[1] {
				if cur.Value, err = col.CursorValue([]byte(parts[3])); err != nil {
					return nil, err
				}
			}
		}
	}
	var b bytes.Buffer
	cur.MarshalGQL(&b)
	return append(out[:start], b.Bytes()...), nil
}
