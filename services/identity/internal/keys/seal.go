package keys

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Sealer encrypts private keys at rest with AES-256-GCM under key-encryption keys (KEKs) that live
// outside the database (a secret of the deployment). The first KEK seals; every KEK opens, so a KEK
// is rotated by putting the new one first and dropping the old one once every key sealed with it
// has expired. Keys stored before encryption was configured (plain PKCS #8) still open.
type Sealer struct {
	keks []kek
}

type kek struct {
	id   string // names the KEK in sealed blobs without revealing it
	aead cipher.AEAD
}

// sealedPrefix marks a sealed blob; plain PKCS #8 starts with an ASN.1 SEQUENCE (0x30) instead.
const sealedPrefix = "fksealed1:"

// ParseSealer reads a comma-separated list of base64 32-byte KEKs; "" gives a nil Sealer (keys are
// stored as they are).
func ParseSealer(list string) (*Sealer, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	s := &Sealer{}
	for i, part := range strings.Split(list, ",") {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(part))
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("key-encryption key %d: want 32 bytes in standard base64 (openssl rand -base64 32)", i+1)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(raw)
		s.keks = append(s.keks, kek{id: hex.EncodeToString(sum[:4]), aead: aead})
	}
	return s, nil
}

// Seal encrypts der with the first KEK, binding it to kid (a sealed key cannot be swapped for
// another row's). A nil Sealer returns der unchanged.
func (s *Sealer) Seal(kid string, der []byte) ([]byte, error) {
	if s == nil {
		return der, nil
	}
	k := s.keks[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := []byte(sealedPrefix + k.id + ":")
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, der, []byte(kid)), nil
}

// Open returns the PKCS #8 of a stored key, decrypting it when sealed.
func (s *Sealer) Open(kid string, stored []byte) ([]byte, error) {
	if !bytes.HasPrefix(stored, []byte(sealedPrefix)) {
		return stored, nil
	}
	rest := stored[len(sealedPrefix):]
	id, blob, ok := bytes.Cut(rest, []byte(":"))
	if !ok {
		return nil, errors.New("malformed sealed key")
	}
	if s == nil {
		return nil, errors.New("the key is encrypted but no key-encryption key is configured (IDENTITY_KEY_ENCRYPTION_KEYS)")
	}
	for _, k := range s.keks {
		if k.id != string(id) {
			continue
		}
		n := k.aead.NonceSize()
		if len(blob) < n {
			return nil, errors.New("malformed sealed key")
		}
		der, err := k.aead.Open(nil, blob[:n], blob[n:], []byte(kid))
		if err != nil {
			return nil, errors.New("the sealed key does not open with its key-encryption key")
		}
		return der, nil
	}
	return nil, fmt.Errorf("the key was sealed with key-encryption key %s, which is not configured", id)
}
