package scores

import (
	"encoding/binary"
	"errors"
	"math"
	"time"

	"github.com/c360/c360/internal/money"
)

// Customer scores are cached in a compact binary form: a page of 100 cached
// customers decodes in microseconds, where JSON took most of a warm request.

const encodingVersion = 1

const (
	hasAOV = 1 << iota
	hasFirst
	hasLast
	hasNps
	hasCsat
)

func (c *Customer) marshalBinary() []byte {
	var flags byte
	b := make([]byte, 2, 64)
	b[0] = encodingVersion
	b = binary.AppendUvarint(b, uint64(c.OrderCount))
	b = binary.AppendVarint(b, int64(c.LifetimeValue))
	if c.AverageOrderValue != nil {
		flags |= hasAOV
		b = binary.AppendVarint(b, int64(*c.AverageOrderValue))
	}
	if c.FirstOrderAt != nil {
		flags |= hasFirst
		b = binary.AppendVarint(b, c.FirstOrderAt.UnixNano())
	}
	if c.LastOrderAt != nil {
		flags |= hasLast
		b = binary.AppendVarint(b, c.LastOrderAt.UnixNano())
	}
	b = binary.AppendUvarint(b, uint64(c.FeedbackCount))
	if c.LatestNps != nil {
		flags |= hasNps
		b = binary.AppendUvarint(b, uint64(*c.LatestNps))
	}
	if c.AverageCsat != nil {
		flags |= hasCsat
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*c.AverageCsat))
	}
	b = binary.AppendUvarint(b, uint64(c.LoyaltyScore))
	b = binary.AppendUvarint(b, uint64(c.ChurnRisk))
	b[1] = flags
	return b
}

var errEncoding = errors.New("scores: unknown cache encoding")

func (c *Customer) unmarshalBinary(b []byte) error {
	if len(b) < 2 || b[0] != encodingVersion {
		return errEncoding
	}
	flags, r := b[1], reader{b: b[2:]}
	*c = Customer{}
	c.OrderCount = int(r.uvarint())
	c.LifetimeValue = money.Cents(r.varint())
	if flags&hasAOV != 0 {
		v := money.Cents(r.varint())
		c.AverageOrderValue = &v
	}
	if flags&hasFirst != 0 {
		t := time.Unix(0, r.varint()).UTC()
		c.FirstOrderAt = &t
	}
	if flags&hasLast != 0 {
		t := time.Unix(0, r.varint()).UTC()
		c.LastOrderAt = &t
	}
	c.FeedbackCount = int(r.uvarint())
	if flags&hasNps != 0 {
		v := int(r.uvarint())
		cat := CategoryOf(v)
		c.LatestNps, c.NpsCategory = &v, &cat
	}
	if flags&hasCsat != 0 {
		v := r.float64()
		c.AverageCsat = &v
	}
	c.LoyaltyScore = int(r.uvarint())
	c.ChurnRisk = int(r.uvarint())
	c.RepeatCustomer = c.OrderCount >= 2
	return r.err
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errEncoding
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errEncoding
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) float64() float64 {
	if len(r.b) < 8 {
		r.err = errEncoding
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}
