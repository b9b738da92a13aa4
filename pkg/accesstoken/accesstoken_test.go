package accesstoken_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/accesstoken"
)

type staticKeys map[string]*rsa.PublicKey

func (s staticKeys) PublicKey(_ context.Context, kid string) (*rsa.PublicKey, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return nil, accesstoken.ErrUnknownKey
}

func fixture(tb testing.TB) (*accesstoken.Verifier, func(mutate func(jwt.MapClaims, map[string]any)) string) {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	v := &accesstoken.Verifier{Keys: staticKeys{"k1": &key.PublicKey}, Issuer: "https://id.example", Audience: "api"}
	sign := func(mutate func(jwt.MapClaims, map[string]any)) string {
		now := time.Now()
		claims := jwt.MapClaims{"iss": "https://id.example", "aud": "api", "sub": uuid.NewString(), "client_id": "c",
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": "j"}
		header := map[string]any{"typ": "at+jwt", "kid": "k1"}
		if mutate != nil {
			mutate(claims, header)
		}
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		for k, v := range header {
			tok.Header[k] = v
		}
		s, err := tok.SignedString(key)
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}
	return v, sign
}

func TestVerify(t *testing.T) {
	t.Parallel()
	v, sign := fixture(t)
	for _, tc := range []struct {
		name   string
		mutate func(jwt.MapClaims, map[string]any)
		ok     bool
	}{
		{"valid", nil, true},
		{"typ application/at+jwt", func(_ jwt.MapClaims, h map[string]any) { h["typ"] = "application/at+jwt" }, true},
		{"typ JWT", func(_ jwt.MapClaims, h map[string]any) { h["typ"] = "JWT" }, false},
		{"no kid", func(_ jwt.MapClaims, h map[string]any) { delete(h, "kid") }, false},
		{"unknown kid", func(_ jwt.MapClaims, h map[string]any) { h["kid"] = "k2" }, false},
		{"expired beyond leeway", func(c jwt.MapClaims, _ map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }, false},
		{"expired within leeway", func(c jwt.MapClaims, _ map[string]any) { c["exp"] = time.Now().Add(-10 * time.Second).Unix() }, true},
		{"issued in the future", func(c jwt.MapClaims, _ map[string]any) { c["iat"] = time.Now().Add(time.Hour).Unix() }, false},
		{"wrong issuer", func(c jwt.MapClaims, _ map[string]any) { c["iss"] = "https://evil.example" }, false},
		{"wrong audience", func(c jwt.MapClaims, _ map[string]any) { c["aud"] = "other" }, false},
		{"no jti", func(c jwt.MapClaims, _ map[string]any) { delete(c, "jti") }, false},
		{"no client_id", func(c jwt.MapClaims, _ map[string]any) { delete(c, "client_id") }, false},
		{"subject not a UUID", func(c jwt.MapClaims, _ map[string]any) { c["sub"] = "root" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), sign(tc.mutate))
			if (err == nil) != tc.ok {
				t.Fatalf("Verify = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// BenchmarkVerify measures verifying one access token (parse, RS256 signature, claims).
func BenchmarkVerify(b *testing.B) {
	v, sign := fixture(b)
	tok := sign(nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCacheServesOnlyVerifiedUnexpiredTokens(t *testing.T) {
	t.Parallel()
	v, sign := fixture(t)
	now := time.Now()
	v.Now = func() time.Time { return now }
	v.Cache = &accesstoken.Cache{MaxAge: time.Minute}
	good := sign(nil)
	if _, err := v.Verify(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	bad := sign(func(c jwt.MapClaims, _ map[string]any) { c["aud"] = "other" })
	for range 2 { // a refused token is never cached
		if _, err := v.Verify(context.Background(), bad); err == nil {
			t.Fatal("bad token accepted")
		}
	}
	v.Keys = staticKeys{} // keys gone: only the cache can answer now
	if _, err := v.Verify(context.Background(), good); err != nil {
		t.Fatalf("cached token refused: %v", err)
	}
	now = now.Add(2 * time.Minute) // past the token's exp (1m) and the cache age
	if _, err := v.Verify(context.Background(), good); err == nil {
		t.Fatal("an expired token was served from the cache")
	}
}

// BenchmarkVerifyCached measures a repeat verification served by the cache.
func BenchmarkVerifyCached(b *testing.B) {
	v, sign := fixture(b)
	v.Cache = &accesstoken.Cache{}
	tok := sign(nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
