package postgres_test

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	pmdb "github.com/flowkiwi/platform/db/product-management"
)

// River's schema travels as our migrations 013-020; they must stay the library's own SQL (with
// the schema template empty), so a River upgrade that changes its schema fails here until its new
// migrations are added.
func TestRiverMigrationsAreTheLibrarys(t *testing.T) {
	t.Parallel()
	m, err := rivermigrate.New(riverpgxv5.New((*pgxpool.Pool)(nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	versions := m.AllVersions()
	if len(versions) != 8 {
		t.Fatalf("River has %d migrations; db/product-management/migrations carries 8: add the new ones", len(versions))
	}
	for _, v := range versions {
		name := fmt.Sprintf("%03d_river_%d.sql", 12+v.Version, v.Version)
		raw, err := fs.ReadFile(pmdb.Migrations(), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := strings.TrimSpace(strings.ReplaceAll(v.SQLUp, "/* TEMPLATE: schema */", ""))
		if !strings.Contains(string(raw), want) {
			t.Errorf("%s is not River's migration %d (%s)", name, v.Version, v.Name)
		}
	}
}
