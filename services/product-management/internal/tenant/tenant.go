// Package tenant resolves who a request acts for: the instance from the Host subdomain, the
// organization from X-Flowkiwi-Organization-Id, the caller from the bearer token, and the caller's
// permissions there from the identity service.
package tenant

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/access"
)

// OrganizationHeader names the organization a request acts as.
const OrganizationHeader = "X-Flowkiwi-Organization-Id"

// Tenant is the resolved context of a request.
type Tenant struct {
	access.Grant
	PartnerID uuid.UUID
}

// Require fails with the permissions of required the tenant lacks.
func (t Tenant) Require(required ...string) error {
	var missing []string
	for _, p := range required {
		if !t.Has(p) {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return fault.Forbidden(missing...)
	}
	return nil
}

type ctxKey struct{}

// FromContext returns the request's tenant.
func FromContext(ctx context.Context) (Tenant, error) {
	t, ok := ctx.Value(ctxKey{}).(Tenant)
	if !ok {
		return Tenant{}, fault.Internal(errNoTenant)
	}
	return t, nil
}

// WithTenant returns ctx carrying t.
func WithTenant(ctx context.Context, t Tenant) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

type tenantError string

func (e tenantError) Error() string { return string(e) }

const errNoTenant = tenantError("tenant: no tenant on the context")

var handlePattern = regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)

// HandleFromHost extracts the instance handle from a Host header under baseDomain.
func HandleFromHost(host, baseDomain string) (string, bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	suffix := "." + strings.ToLower(baseDomain)
	if !strings.HasSuffix(host, suffix) {
		return "", false
	}
	label := strings.TrimSuffix(host, suffix)
	if len(label) < 3 || len(label) > 63 || strings.Contains(label, "--") || !handlePattern.MatchString(label) {
		return "", false
	}
	return label, true
}

// Checker is what the middleware needs of the access checker.
type Checker interface {
	Check(ctx context.Context, p accesstoken.Principal, handle string, org uuid.UUID) (access.Grant, error)
}

// Middleware resolves the tenant of API requests (those for which api returns true) in this order:
// host (404), bearer token (401), organization header (400), access (404, or 503 when identity
// cannot answer).
// limit runs between authentication and the access check, so a partner over its rate limit costs
// identity nothing.
func Middleware(baseDomain string, verifier *accesstoken.Verifier, checker Checker, api func(echo.Context) bool, limit echo.MiddlewareFunc) echo.MiddlewareFunc {
	authenticate := accesstoken.Middleware(verifier, nil)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		resolve := func(c echo.Context) error {
			req := c.Request()
			handle, _ := HandleFromHost(req.Host, baseDomain) // checked before authentication
			p, _ := accesstoken.FromContext(req.Context())
			raw := req.Header.Get(OrganizationHeader)
			org, err := uuid.Parse(raw)
			if raw == "" {
				return &fault.Error{Kind: fault.KindBadRequest, Violations: []fault.Violation{{Path: "header." + OrganizationHeader, Code: "required", Message: "this header is required"}}}
			}
			if err != nil || len(raw) != 36 {
				return &fault.Error{Kind: fault.KindBadRequest, Violations: []fault.Violation{{Path: "header." + OrganizationHeader, Code: "invalid_format", Message: "must be a UUID"}}}
			}
			g, err := checker.Check(req.Context(), p, handle, org)
			if err != nil {
				return err
			}
			c.SetRequest(req.WithContext(WithTenant(req.Context(), Tenant{Grant: g, PartnerID: p.PartnerID})))
			apiserver.AddLogAttrs(c, slog.String("tenant", handle), slog.String("instance_id", g.InstanceID.String()),
				slog.String("organization_id", org.String()))
			return next(c)
		}
		authed := authenticate(limit(resolve))
		return func(c echo.Context) error {
			if !api(c) {
				return next(c)
			}
			if _, ok := HandleFromHost(c.Request().Host, baseDomain); !ok {
				return fault.NotFound("no such instance: address it as %s", instanceAddress(c.Request(), baseDomain))
			}
			return authed(c)
		}
	}
}

// instanceAddress is how a request reaches an instance on this server: its scheme and port, the
// handle as the first label of the base domain (http://{handle}.product-management.localhost:8081
// locally), so the hint works where it is read.
func instanceAddress(r *http.Request, baseDomain string) string {
	scheme := "https"
	if r.TLS == nil && r.Header.Get("X-Forwarded-Proto") != "https" {
		scheme = "http"
	}
	port := ""
	if _, p, err := net.SplitHostPort(r.Host); err == nil && p != "80" && p != "443" {
		port = ":" + p
	}
	return scheme + "://{handle}." + baseDomain + port
}
