package keys_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"testing"
	"time"

	identitydb "github.com/flowkiwi/platform/db/identity"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/identity/internal/keys"
	"github.com/flowkiwi/platform/services/identity/internal/postgres"
)

func newKEK(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func TestParseSealer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		list string
		ok   bool
	}{
		{"", true},
		{newKEK(t), true},
		{newKEK(t) + ", " + newKEK(t), true},
		{"c2hvcnQ=", false},
		{"not base64!", false},
		{newKEK(t) + ",", false},
	} {
		if _, err := keys.ParseSealer(tc.list); (err == nil) != tc.ok {
			t.Errorf("ParseSealer(%q) = %v, want ok %v", tc.list, err, tc.ok)
		}
	}
}

// TestSealedKeys: with a key-encryption key, the database holds no private key in the clear; the
// ring still signs; a rotated KEK list (new first, old kept) opens old keys; a key stored before
// encryption still opens; without the right KEK the ring refuses to start rather than guess.
func TestSealedKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, identitydb.Migrations())
	store := postgres.New(pool)
	plain := keys.NewRing(store, keys.Policy{RotateEvery: 24 * time.Hour, PublishLead: time.Hour, TokenTTL: 15 * time.Minute}, nil)
	if err := plain.Rotate(ctx); err != nil { // a key from before encryption
		t.Fatal(err)
	}
	oldKEK, newKEK := newKEK(t), newKEK(t)
	sealer, err := keys.ParseSealer(oldKEK)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC().Add(24 * time.Hour)} // due for rotation: a new, sealed key
	policy := keys.Policy{RotateEvery: 24 * time.Hour, PublishLead: time.Hour, TokenTTL: 15 * time.Minute, CacheFor: time.Nanosecond, Sealer: sealer}
	sealed := keys.NewRing(store, policy, clk.now)
	if err := sealed.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := store.Keys(ctx)
	if err != nil || len(rows) != 2 {
		t.Fatalf("keys: %d, %v", len(rows), err)
	}
	var sealedCount int
	for _, k := range rows {
		if !bytes.HasPrefix(k.PrivateDER, []byte("fksealed1:")) {
			continue
		}
		sealedCount++
		if _, err := x509.ParsePKCS8PrivateKey(k.PrivateDER); err == nil {
			t.Error("a sealed key parses as a plain one")
		}
	}
	if sealedCount != 1 {
		t.Fatalf("%d of 2 keys sealed, want the new one", sealedCount)
	}
	if len(kids(t, sealed)) != 2 {
		t.Fatal("the ring does not publish both keys")
	}
	rotated, _ := keys.ParseSealer(newKEK + "," + oldKEK)
	policy.Sealer = rotated
	if err := keys.NewRing(store, policy, clk.now).Rotate(ctx); err != nil {
		t.Fatalf("a rotated KEK list cannot open the keys: %v", err)
	}
	wrong, _ := keys.ParseSealer(newKEK)
	for name, s := range map[string]*keys.Sealer{"no KEK": nil, "another KEK": wrong} {
		policy.Sealer = s
		if err := keys.NewRing(store, policy, clk.now).Rotate(ctx); err == nil {
			t.Errorf("%s: the ring loaded sealed keys", name)
		}
	}
}
