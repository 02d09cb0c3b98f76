package transport

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Wire format (see DESIGN.md for the reasoning):
//
//	M1 listener -> dialer:  magic[4] version[1] nonceL[32] idLen[1] idL[idLen]
//	M2 dialer -> listener:  magic[4] version[1] nonceD[32] idLen[1] idD[idLen] tag[1] proofD[32]
//	M3 listener -> dialer:  status[1] proofL[32]
//
//	proofD = HMAC-SHA256(secret, transcript('D'))
//	proofL = HMAC-SHA256(secret, transcript('L') || status)
//	transcript(role) = "tessera-cluster-v1" || role || nonceD || nonceL ||
//	                   len(idD) || idD || len(idL) || idL || tag
const (
	wireMagic   = "TSCP"
	wireVersion = 1
	macLabel    = "tessera-cluster-v1"
	nonceLen    = 32
	proofLen    = sha256.Size
	// helloFixed is the fixed prefix of M1 and M2: magic, version, nonce,
	// id length.
	helloFixed = len(wireMagic) + 1 + nonceLen + 1
	// maxHello is the longest M1.
	maxHello = helloFixed + MaxNodeIDLen
	// maxM2 is the longest M2.
	maxM2 = maxHello + 1 + proofLen
	// m3Len is the length of M3.
	m3Len = 1 + proofLen

	roleDialer   byte = 'D'
	roleListener byte = 'L'

	statusOK        byte = 0
	statusNoService byte = 1
)

// putHello writes magic, version, nonce and id into dst (at least
// helloFixed+len(id) bytes) and returns the length written.
func putHello(dst []byte, nonce *[nonceLen]byte, id string) int {
	n := copy(dst, wireMagic)
	dst[n] = wireVersion
	n++
	n += copy(dst[n:], nonce[:])
	dst[n] = byte(len(id))
	n++
	n += copy(dst[n:], id)
	return n
}

// parseHelloFixed checks magic and version of a helloFixed-byte prefix and
// returns the nonce and the announced id length (validated).
func parseHelloFixed(b []byte) (nonce [nonceLen]byte, idLen int, err error) {
	if err := checkMagic(b); err != nil {
		return nonce, 0, err
	}
	copy(nonce[:], b[len(wireMagic)+1:])
	idLen = int(b[helloFixed-1])
	if idLen == 0 || idLen > MaxNodeIDLen {
		return nonce, 0, fmt.Errorf("%w: node id length %d out of range [1, %d]", ErrProtocol, idLen, MaxNodeIDLen)
	}
	return nonce, idLen, nil
}

// checkMagic checks the first len(wireMagic)+1 bytes of a hello.
func checkMagic(b []byte) error {
	if string(b[:len(wireMagic)]) != wireMagic {
		return fmt.Errorf("%w: bad magic %q", ErrProtocol, b[:len(wireMagic)])
	}
	if v := b[len(wireMagic)]; v != wireVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrProtocol, v, wireVersion)
	}
	return nil
}

// readHelloFixed reads the fixed part of a hello into b (helloFixed bytes),
// failing as soon as the magic is wrong so that a stray client (HTTP, a
// port scanner) is dropped without waiting for the deadline.
func readHelloFixed(r io.Reader, b []byte) (nonce [nonceLen]byte, idLen int, err error) {
	const m = len(wireMagic) + 1
	if _, err := io.ReadFull(r, b[:m]); err != nil {
		return nonce, 0, err
	}
	if err := checkMagic(b[:m]); err != nil {
		return nonce, 0, err
	}
	if _, err := io.ReadFull(r, b[m:helloFixed]); err != nil {
		return nonce, 0, err
	}
	return parseHelloFixed(b[:helloFixed])
}

// transcript is one handshake's MAC input, computed for either role.
type transcript struct {
	nonceD, nonceL *[nonceLen]byte
	idD, idL       []byte
	tag            byte
}

// proof returns HMAC(secret, transcript(role) || extra) into out.
func (t *transcript) proof(mac hash.Hash, role byte, extra []byte, out *[proofLen]byte) {
	mac.Reset()
	var small [2]byte
	mac.Write([]byte(macLabel))
	small[0] = role
	mac.Write(small[:1])
	mac.Write(t.nonceD[:])
	mac.Write(t.nonceL[:])
	small[0] = byte(len(t.idD))
	mac.Write(small[:1])
	mac.Write(t.idD)
	small[0] = byte(len(t.idL))
	mac.Write(small[:1])
	mac.Write(t.idL)
	small[0] = t.tag
	mac.Write(small[:1])
	mac.Write(extra)
	mac.Sum(out[:0])
}

// serverHandshake runs the listener's side of the handshake on rw, whose
// deadline the caller has set. rnd supplies the nonce (crypto/rand in
// production). serves reports whether a service tag has a listener. On
// success it returns the peer's (authenticated) node id and the tag. Every
// read is into a fixed-size buffer: nothing the peer sends sizes an
// allocation.
func serverHandshake(rw io.ReadWriter, rnd io.Reader, secret []byte, localID string, serves func(byte) bool) (peerID string, tag byte, err error) {
	var nonceL [nonceLen]byte
	if _, err := io.ReadFull(rnd, nonceL[:]); err != nil {
		return "", 0, fmt.Errorf("transport: read nonce: %w", err)
	}
	var out [maxHello]byte
	n := putHello(out[:], &nonceL, localID)
	if _, err := rw.Write(out[:n]); err != nil {
		return "", 0, err
	}

	var in [maxM2]byte
	nonceD, idLen, err := readHelloFixed(rw, in[:])
	if err != nil {
		return "", 0, err
	}
	rest := in[helloFixed : helloFixed+idLen+1+proofLen]
	if _, err := io.ReadFull(rw, rest); err != nil {
		return "", 0, err
	}
	idD := rest[:idLen]
	tag = rest[idLen]
	proofD := rest[idLen+1:]

	mac := newMAC(secret)
	t := transcript{nonceD: &nonceD, nonceL: &nonceL, idD: idD, idL: []byte(localID), tag: tag}
	var want [proofLen]byte
	t.proof(mac, roleDialer, nil, &want)
	if !hmac.Equal(want[:], proofD) {
		return "", tag, ErrAuthFailed
	}
	// Authenticated: the id was MACed by a holder of the secret, but check
	// it anyway so that logs and callers only ever see sane ids.
	if err := validNodeID(idD); err != nil {
		return "", tag, fmt.Errorf("%w: peer node id: %v", ErrProtocol, err)
	}

	var m3 [m3Len]byte
	m3[0] = statusOK
	if !serves(tag) {
		m3[0] = statusNoService
	}
	var pl [proofLen]byte
	t.proof(mac, roleListener, m3[:1], &pl)
	copy(m3[1:], pl[:])
	if _, err := rw.Write(m3[:]); err != nil {
		return "", tag, err
	}
	if m3[0] != statusOK {
		return string(idD), tag, ErrServiceUnavailable
	}
	return string(idD), tag, nil
}

// clientHandshake runs the dialer's side on rw, whose deadline the caller
// has set, and returns the listener's authenticated node id.
func clientHandshake(rw io.ReadWriter, rnd io.Reader, secret []byte, localID string, tag byte) (peerID string, err error) {
	var in [maxHello]byte
	nonceL, idLen, err := readHelloFixed(rw, in[:])
	if err != nil {
		return "", err
	}
	idL := in[helloFixed : helloFixed+idLen]
	if _, err := io.ReadFull(rw, idL); err != nil {
		return "", err
	}

	var nonceD [nonceLen]byte
	if _, err := io.ReadFull(rnd, nonceD[:]); err != nil {
		return "", fmt.Errorf("transport: read nonce: %w", err)
	}
	mac := newMAC(secret)
	t := transcript{nonceD: &nonceD, nonceL: &nonceL, idD: []byte(localID), idL: idL, tag: tag}
	var out [maxM2]byte
	n := putHello(out[:], &nonceD, localID)
	out[n] = tag
	n++
	var pd [proofLen]byte
	t.proof(mac, roleDialer, nil, &pd)
	n += copy(out[n:], pd[:])
	if _, err := rw.Write(out[:n]); err != nil {
		return "", err
	}

	var m3 [m3Len]byte
	if _, err := io.ReadFull(rw, m3[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err) {
			return "", fmt.Errorf("%w: %w", ErrRejected, err)
		}
		return "", err
	}
	var want [proofLen]byte
	t.proof(mac, roleListener, m3[:1], &want)
	if !hmac.Equal(want[:], m3[1:]) {
		return "", ErrAuthFailed
	}
	if err := validNodeID(idL); err != nil {
		return "", fmt.Errorf("%w: peer node id: %v", ErrProtocol, err)
	}
	switch m3[0] {
	case statusOK:
		return string(idL), nil
	case statusNoService:
		return string(idL), ErrServiceUnavailable
	default:
		return "", fmt.Errorf("%w: status %d", ErrProtocol, m3[0])
	}
}

// newMAC returns the handshake's HMAC-SHA256 keyed with secret.
func newMAC(secret []byte) hash.Hash { return hmac.New(sha256.New, secret) }
