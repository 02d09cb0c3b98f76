package transport

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"testing"
)

// fixedNonce is a deterministic nonce source for fuzzing.
var fixedNonce = bytes.Repeat([]byte{0x5a}, nonceLen)

// scripted is an io.ReadWriter that replays a peer's bytes and records
// what is written to it.
type scripted struct {
	io.Reader
	out bytes.Buffer
}

func (s *scripted) Write(p []byte) (int, error) { return s.out.Write(p) }

func TestHandshakeOverPipe(t *testing.T) {
	for _, tc := range []struct {
		name       string
		dSec, lSec []byte
		tag        byte
		wantD      error // dialer's error
		wantL      error // listener's error
	}{
		{"ok", testSecret, testSecret, TagRaft, nil, nil},
		{"no service", testSecret, testSecret, 'Z', ErrServiceUnavailable, ErrServiceUnavailable},
		{"wrong secret", otherSecret, testSecret, TagRaft, ErrRejected, ErrAuthFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, l := net.Pipe()
			type res struct {
				id  string
				tag byte
				err error
			}
			lc := make(chan res, 1)
			go func() {
				id, tag, err := serverHandshake(l, rand.Reader, tc.lSec, "listener", func(b byte) bool { return b == TagRaft })
				l.Close()
				lc <- res{id, tag, err}
			}()
			id, err := clientHandshake(d, rand.Reader, tc.dSec, "dialer", tc.tag)
			d.Close()
			lr := <-lc
			if !errors.Is(err, tc.wantD) || !errors.Is(lr.err, tc.wantL) {
				t.Fatalf("dialer err %v (want %v), listener err %v (want %v)", err, tc.wantD, lr.err, tc.wantL)
			}
			if tc.wantD == nil && (id != "listener" || lr.id != "dialer" || lr.tag != tc.tag) {
				t.Fatalf("ids %q/%q tag %c", id, lr.id, lr.tag)
			}
		})
	}
}

// The two roles' proofs over the same transcript differ, so a proof taken
// from one role cannot be replayed as the other (reflection).
func TestProofRolesAndFieldsAreBound(t *testing.T) {
	var nd, nl [nonceLen]byte
	rand.Read(nd[:])
	rand.Read(nl[:])
	base := transcript{nonceD: &nd, nonceL: &nl, idD: []byte("a"), idL: []byte("b"), tag: TagRaft}
	proof := func(tr transcript, role byte, extra []byte) [proofLen]byte {
		var p [proofLen]byte
		tr.proof(newMAC(testSecret), role, extra, &p)
		return p
	}
	ref := proof(base, roleDialer, nil)
	variants := map[string][proofLen]byte{
		"listener role": proof(base, roleListener, nil),
		"listener+ok":   proof(base, roleListener, []byte{statusOK}),
	}
	swapped := base
	swapped.idD, swapped.idL = []byte("b"), []byte("a")
	variants["ids swapped"] = proof(swapped, roleDialer, nil)
	shifted := base
	shifted.idD, shifted.idL = []byte("ab"), []byte("")
	variants["id boundary moved"] = proof(shifted, roleDialer, nil)
	other := base
	other.tag = TagShard
	variants["tag"] = proof(other, roleDialer, nil)
	nonces := base
	nonces.nonceD, nonces.nonceL = &nl, &nd
	variants["nonces swapped"] = proof(nonces, roleDialer, nil)
	for name, p := range variants {
		if p == ref {
			t.Errorf("%s: proof unchanged", name)
		}
	}
	if proof(base, roleDialer, nil) != ref {
		t.Fatal("proof is not deterministic")
	}
}

// validM2 is a dialer message that authenticates against a listener using
// fixedNonce, id "srv" and testSecret.
func validM2(tag byte) []byte {
	var nl, nd [nonceLen]byte
	copy(nl[:], fixedNonce)
	copy(nd[:], "fuzz-dialer-nonce-0123456789abcd")
	return buildM2Nonce(testSecret, &nd, &nl, []byte("srv"), "peer-1", tag)
}

// FuzzServerHandshake feeds arbitrary dialer bytes to the listener's side.
// It must never panic, and may only succeed on a message whose proof is the
// correct HMAC of the fields it carries.
func FuzzServerHandshake(f *testing.F) {
	f.Add(validM2(TagRaft))
	f.Add(validM2(TagShard))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte(wireMagic + "\x01"))
	f.Add(append([]byte(wireMagic+"\x01"), make([]byte, nonceLen+1)...))
	f.Fuzz(func(t *testing.T, in []byte) {
		rw := &scripted{Reader: bytes.NewReader(in)}
		peer, tag, err := serverHandshake(rw, bytes.NewReader(fixedNonce), testSecret, "srv",
			func(b byte) bool { return b == TagRaft })
		if err != nil {
			if peer != "" && !errors.Is(err, ErrServiceUnavailable) {
				t.Fatalf("error %v but peer %q", err, peer)
			}
			return
		}
		if tag != TagRaft {
			t.Fatalf("accepted unserved tag %c", tag)
		}
		if err := validNodeID(peer); err != nil {
			t.Fatalf("accepted bad peer id %q: %v", peer, err)
		}
		var nl, nd [nonceLen]byte
		copy(nl[:], fixedNonce)
		copy(nd[:], in[len(wireMagic)+1:])
		want := buildM2Nonce(testSecret, &nd, &nl, []byte("srv"), peer, tag)
		if !bytes.HasPrefix(in, want) {
			t.Fatalf("accepted a message that is not a correctly MACed M2: %x", in)
		}
	})
}

// FuzzClientHandshake feeds arbitrary listener bytes to the dialer's side.
func FuzzClientHandshake(f *testing.F) {
	var nl [nonceLen]byte
	copy(nl[:], fixedNonce)
	hello := make([]byte, maxHello)
	hello = hello[:putHello(hello, &nl, "srv")]
	f.Add(hello)
	f.Add(append(append([]byte(nil), hello...), make([]byte, m3Len)...))
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		rw := &scripted{Reader: bytes.NewReader(in)}
		peer, err := clientHandshake(rw, bytes.NewReader(fixedNonce), testSecret, "dialer", TagRaft)
		if err == nil || errors.Is(err, ErrServiceUnavailable) {
			// Only a listener holding the secret can produce a valid M3; the
			// fuzzer does not know it, so this must not happen by chance.
			t.Fatalf("dialer authenticated a forged listener %q (err %v) from %x", peer, err, in)
		}
	})
}

// The fuzz seed validM2 really authenticates, so FuzzServerHandshake's
// success branch is reachable and checked.
func TestValidM2SeedAccepted(t *testing.T) {
	rw := &scripted{Reader: bytes.NewReader(validM2(TagRaft))}
	peer, tag, err := serverHandshake(rw, bytes.NewReader(fixedNonce), testSecret, "srv",
		func(b byte) bool { return b == TagRaft })
	if err != nil || peer != "peer-1" || tag != TagRaft {
		t.Fatalf("valid M2: peer %q tag %c err %v", peer, tag, err)
	}
	if rw.out.Len() != helloFixed+len("srv")+m3Len || rw.out.Bytes()[helloFixed+len("srv")] != statusOK {
		t.Fatalf("listener wrote %x", rw.out.Bytes())
	}
	m2 := validM2(TagRaft)
	m2[len(m2)-1] ^= 1
	rw = &scripted{Reader: bytes.NewReader(m2)}
	if _, _, err := serverHandshake(rw, bytes.NewReader(fixedNonce), testSecret, "srv",
		func(b byte) bool { return true }); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("flipped proof bit: %v", err)
	}
}
