package problem

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/fault"
)

// EchoErrorHandler is an echo.HTTPErrorHandler that answers every error, including the router's 404
// and 405 and the generated wrappers' parameter-binding errors, as a problem document.
func (wr Writer) EchoErrorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	wr.Write(c.Response(), c.Request(), FromEcho(err))
}

// FromEcho converts Echo's own errors to fault errors; other errors pass through unchanged.
func FromEcho(err error) error {
	var he *echo.HTTPError
	if !errors.As(err, &he) {
		return err
	}
	kind := KindForStatus(he.Code)
	detail := http.StatusText(he.Code)
	switch he.Code {
	case http.StatusNotFound:
		detail = "no such resource"
	case http.StatusMethodNotAllowed:
		detail = "the resource does not support this method; the Allow header lists those it does"
	case http.StatusRequestEntityTooLarge:
		detail = "the request body is too large"
	default:
		// Binding errors carry a message naming the parameter; internal ones carry nothing useful.
		if kind != fault.KindInternal {
			if msg, ok := he.Message.(string); ok && msg != "" {
				detail = msg
			}
		}
	}
	return &fault.Error{Kind: kind, Detail: detail, Err: fmt.Errorf("echo: %w", err)}
}
