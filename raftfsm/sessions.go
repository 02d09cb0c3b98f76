package raftfsm

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// The sessions section of a version-2 snapshot: the magic, a uvarint count,
// then per session the access key, sealed secret, token hash, parent and
// policy as uvarint-length-prefixed bytes, and the creation and expiry
// times as varint Unix nanoseconds (UTC).
var sessionsMagic = []byte("TSS1")

// maxSessionField bounds each field read back (a session policy is at most
// a few KiB; keys and hashes are short).
const maxSessionField = 1 << 20

func writeSessions(w *bufio.Writer, sessions map[string]*Session) error {
	var tmp [binary.MaxVarintLen64]byte
	putU := func(v uint64) error {
		_, err := w.Write(tmp[:binary.PutUvarint(tmp[:], v)])
		return err
	}
	putI := func(v int64) error {
		_, err := w.Write(tmp[:binary.PutVarint(tmp[:], v)])
		return err
	}
	putB := func(b []byte) error {
		if err := putU(uint64(len(b))); err != nil {
			return err
		}
		_, err := w.Write(b)
		return err
	}
	putS := func(s string) error {
		if err := putU(uint64(len(s))); err != nil {
			return err
		}
		_, err := w.WriteString(s)
		return err
	}
	if _, err := w.Write(sessionsMagic); err != nil {
		return err
	}
	if err := putU(uint64(len(sessions))); err != nil {
		return err
	}
	for _, se := range sessions {
		for _, err := range []error{
			putS(se.AccessKey), putB(se.Secret), putB(se.TokenHash), putS(se.Parent), putS(se.Policy),
			putI(se.Created.UnixNano()), putI(se.Expiration.UnixNano()),
		} {
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func readSessions(r *bufio.Reader) (map[string]*Session, error) {
	// The JSON encoder ended the body with a newline.
	for {
		c, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		if c != '\n' && c != ' ' && c != '\r' && c != '\t' {
			if err := r.UnreadByte(); err != nil {
				return nil, err
			}
			break
		}
	}
	magic := make([]byte, len(sessionsMagic))
	if _, err := io.ReadFull(r, magic); err != nil {
		return nil, err
	}
	if string(magic) != string(sessionsMagic) {
		return nil, fmt.Errorf("bad magic %q", magic)
	}
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > 1<<32 {
		return nil, fmt.Errorf("%d sessions is not plausible", n)
	}
	getB := func() ([]byte, error) {
		l, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, err
		}
		if l > maxSessionField {
			return nil, errors.New("field too long")
		}
		b := make([]byte, l)
		_, err = io.ReadFull(r, b)
		return b, err
	}
	out := make(map[string]*Session, n)
	for i := uint64(0); i < n; i++ {
		var se Session
		var fields [5][]byte
		for j := range fields {
			if fields[j], err = getB(); err != nil {
				return nil, fmt.Errorf("session %d: %w", i, err)
			}
		}
		c, err1 := binary.ReadVarint(r)
		e, err2 := binary.ReadVarint(r)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("session %d: %w", i, err)
		}
		se.AccessKey, se.Secret, se.TokenHash, se.Parent, se.Policy = string(fields[0]), fields[1], fields[2], string(fields[3]), string(fields[4])
		se.Created, se.Expiration = time.Unix(0, c).UTC(), time.Unix(0, e).UTC()
		if len(se.Secret) == 0 {
			se.Secret = nil
		}
		if len(se.TokenHash) == 0 {
			se.TokenHash = nil
		}
		out[se.AccessKey] = &se
	}
	return out, nil
}
