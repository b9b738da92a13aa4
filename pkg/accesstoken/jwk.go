package accesstoken

import (
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"math/big"
)

// JWK is the public half of an RSA signing key as published in a JWKS.
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// NewJWK describes pub under kid.
func NewJWK(kid string, pub *rsa.PublicKey) JWK {
	return JWK{
		Kty: "RSA", Kid: kid, Use: "sig", Alg: Algorithm,
		N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}
}

// PublicKey decodes the RSA key of a JWK.
func (k JWK) PublicKey() (*rsa.PublicKey, error) {
	if k.Kty != "RSA" || (k.Alg != "" && k.Alg != Algorithm) || (k.Use != "" && k.Use != "sig") {
		return nil, errors.New("accesstoken: not an RS256 signing key")
	}
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil {
		return nil, err
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil {
		return nil, err
	}
	if len(n) < 256 || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("accesstoken: RSA key too small or malformed")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
}
