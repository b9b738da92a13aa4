package httpapi_test

import (
	"context"
	"strings"
	"testing"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

func TestMetafieldsAndMetaobjects(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	req := true
	def, err := w.c.CreateMetaobjectDefinitionWithResponse(ctx, nil, pm.MetaobjectDefinitionCreate{Type: "designer",
		Fields: []pm.MetaobjectFieldDefinition{{Key: "name", Type: pm.MetafieldTypeSingleLineTextField, Required: &req}, {Key: "born", Type: pm.MetafieldTypeDate}}})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, def, 201)
	obj, err := w.c.CreateMetaobjectWithResponse(ctx, nil, pm.MetaobjectCreate{Type: "designer", Handle: "ada", Fields: map[string]string{"name": "Ada", "born": "1815-12-10"}})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, obj, 201)
	designer := obj.ApplicationldJSON201
	t.Run("metaobject fields follow the definition", func(t *testing.T) {
		for _, tc := range []struct {
			fields map[string]string
			path   string
		}{
			{map[string]string{"born": "1815-12-10"}, "fields.name"},
			{map[string]string{"name": "Bob", "born": "yesterday"}, "fields.born"},
			{map[string]string{"name": "Bob", "shoe": "42"}, "fields.shoe"},
		} {
			resp, err := w.c.CreateMetaobjectWithResponse(ctx, nil, pm.MetaobjectCreate{Type: "designer", Handle: "bob", Fields: tc.fields})
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, resp, 422, tc.path)
		}
	})
	p := w.create(t, w.c, tshirt("MF", 2))
	v, _ := p.Variants[0].AsIri()
	field := func(owner, key string, typ pm.MetafieldType, value string) *pm.CreateMetafieldResponse {
		t.Helper()
		resp, err := w.c.CreateMetafieldWithResponse(ctx, nil, pm.MetafieldCreate{Owner: owner, Namespace: "custom", Key: key, Type: typ, Value: value})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	expectStatus(t, field(p.LdID, "designer", pm.MetafieldTypeMetaobjectReference, designer.LdID), 201)
	expectStatus(t, field(p.LdID, "care", pm.MetafieldTypeMultiLineTextField, "Wash cold.\nDo not iron."), 201)
	expectStatus(t, field(v, "fit", pm.MetafieldTypeSingleLineTextField, "slim"), 201)
	t.Run("values are checked by type", func(t *testing.T) {
		for _, tc := range []struct {
			key   string
			typ   pm.MetafieldType
			value string
			path  string
		}{
			{"n", pm.MetafieldTypeNumberInteger, "1.5", "value"},
			{"b", pm.MetafieldTypeBoolean, "yes", "value"},
			{"c", pm.MetafieldTypeColor, "red", "value"},
			{"j", pm.MetafieldTypeJson, "{", "value"},
			{"u", pm.MetafieldTypeUrl, "javascript:alert(1)", "value"},
			{"r", pm.MetafieldTypeMetaobjectReference, "/rest/api/metaobjects/0b7f4c43-94c2-4f6c-9a1c-1f7a3d6b8e21", "value"},
			{"big", pm.MetafieldTypeMultiLineTextField, strings.Repeat("a", 64<<10+1), "value"},
		} {
			expectProblem(t, field(p.LdID, tc.key, tc.typ, tc.value), 422, tc.path)
		}
		expectConflict(t, field(p.LdID, "care", pm.MetafieldTypeSingleLineTextField, "again"), "key", `"care"`)
		expectStatus(t, field(p.LdID, "spec", pm.MetafieldTypeJson, `{"a":`+strings.Repeat(`"x",`, 1)+`"b"}`), 422)
		expectStatus(t, field(p.LdID, "doc", pm.MetafieldTypeJson, `"`+strings.Repeat("a", 100<<10)+`"`), 201)
	})
	t.Run("expand embeds metafields and their metaobjects, for variants too", func(t *testing.T) {
		resp, err := w.c.GetProductWithResponse(ctx, p.Id, &pm.GetProductParams{Expand: ptr("variants,metafields,metaobject")})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		var designerField *pm.Metafield
		for _, f := range *resp.ApplicationldJSON200.Metafields {
			m, err := f.AsMetafield()
			if err != nil {
				t.Fatal(err)
			}
			if m.Key == "designer" {
				designerField = &m
			}
		}
		if designerField == nil || designerField.Metaobjects == nil || (*designerField.Metaobjects)[0].Fields["name"] != "Ada" {
			t.Fatalf("designer metafield = %+v", designerField)
		}
		variant, _ := resp.ApplicationldJSON200.Variants[0].AsVariant()
		vf, err := (*variant.Metafields)[0].AsMetafield()
		if err != nil || vf.Value != "slim" {
			t.Fatalf("variant metafields = %s", resp.Body)
		}
		plain, err := w.c.GetProductWithResponse(ctx, p.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if iri, err := (*plain.ApplicationldJSON200.Metafields)[0].AsIri(); err != nil || !strings.HasPrefix(iri, "/rest/api/metafields/") {
			t.Fatalf("without expand metafields are IRIs: %s", plain.Body)
		}
	})
	t.Run("referenced things cannot be deleted", func(t *testing.T) {
		d, err := w.c.DeleteMetaobjectWithResponse(ctx, designer.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, d, 409, "")
		dd, err := w.c.DeleteMetaobjectDefinitionWithResponse(ctx, def.ApplicationldJSON201.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, dd, 409, "")
	})
	t.Run("a metaobject another metaobject refers to cannot be deleted", func(t *testing.T) {
		sdef, err := w.c.CreateMetaobjectDefinitionWithResponse(ctx, nil, pm.MetaobjectDefinitionCreate{Type: "story",
			Fields: []pm.MetaobjectFieldDefinition{{Key: "about", Type: pm.MetafieldTypeMetaobjectReference}, {Key: "see_also", Type: pm.MetafieldTypeListMetaobjectReference}}})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, sdef, 201)
		grace, err := w.c.CreateMetaobjectWithResponse(ctx, nil, pm.MetaobjectCreate{Type: "designer", Handle: "grace", Fields: map[string]string{"name": "Grace"}})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, grace, 201)
		g := grace.ApplicationldJSON201
		story, err := w.c.CreateMetaobjectWithResponse(ctx, nil, pm.MetaobjectCreate{Type: "story", Handle: "s1", Fields: map[string]string{"see_also": `["` + g.LdID + `"]`}})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, story, 201)
		s := story.ApplicationldJSON201
		del, err := w.c.DeleteMetaobjectWithResponse(ctx, g.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		pr := expectProblem(t, del, 409, "")
		if pr.Detail == nil || !strings.Contains(*pr.Detail, s.LdID) {
			t.Fatalf("the conflict does not name the referring metaobject: %s", del.Body)
		}
		// Pointing the story at itself and away from grace (null removes see_also: fields merge)
		// frees grace; a self-reference does not keep the story itself from being deleted.
		upd, err := w.c.UpdateMetaobjectWithBodyWithResponse(ctx, s.Id, nil, "application/merge-patch+json", strings.NewReader(`{"fields":{"about":"`+s.LdID+`","see_also":null}}`))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, upd, 200)
		for _, id := range []pm.Id{g.Id, s.Id} {
			del, err := w.c.DeleteMetaobjectWithResponse(ctx, id, nil)
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, del, 204)
		}
	})
	t.Run("definition changes keep metaobjects valid", func(t *testing.T) {
		d, err := w.c.CreateMetaobjectDefinitionWithResponse(ctx, nil, pm.MetaobjectDefinitionCreate{Type: "fabric",
			Fields: []pm.MetaobjectFieldDefinition{{Key: "name", Type: pm.MetafieldTypeSingleLineTextField}, {Key: "origin", Type: pm.MetafieldTypeMetaobjectReference}}})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, d, 201)
		fabric := d.ApplicationldJSON201
		o, err := w.c.CreateMetaobjectWithResponse(ctx, nil, pm.MetaobjectCreate{Type: "fabric", Handle: "linen", Fields: map[string]string{"origin": designer.LdID}})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, o, 201)
		patch := func(fields string) *pm.UpdateMetaobjectDefinitionResponse {
			t.Helper()
			resp, err := w.c.UpdateMetaobjectDefinitionWithBodyWithResponse(ctx, fabric.Id, nil, "application/merge-patch+json", strings.NewReader(`{"fields":`+fields+`}`))
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		expectProblem(t, patch(`[{"key":"name","type":"number_integer"},{"key":"origin","type":"metaobject_reference"}]`), 422, "fields[0].type")
		expectProblem(t, patch(`[{"key":"name","type":"single_line_text_field","required":true},{"key":"origin","type":"metaobject_reference"}]`), 409, "")
		// Dropping origin drops linen's value and its reference to the designer.
		expectStatus(t, patch(`[{"key":"name","type":"single_line_text_field"}]`), 200)
		got, err := w.c.GetMetaobjectWithResponse(ctx, o.ApplicationldJSON201.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, got, 200)
		if _, ok := got.ApplicationldJSON200.Fields["origin"]; ok {
			t.Fatalf("the removed field is still on the metaobject: %s", got.Body)
		}
		var refs int
		if err := w.pm.Pool.QueryRow(ctx, `select count(*) from metaobject_references where metaobject_id = $1`, o.ApplicationldJSON201.Id).Scan(&refs); err != nil || refs != 0 {
			t.Fatalf("references left behind: %d %v", refs, err)
		}
	})
	t.Run("another instance's metaobject cannot be referenced", func(t *testing.T) {
		other := w.id.Partner("Other")
		org := other.Org(t, "Other")
		other.Instance(t, org, "other-meta")
		c := w.pm.Client(other, "other-meta", org)
		op := w.create(t, c, pm.ProductCreate{Title: some("theirs")})
		resp, err := c.CreateMetafieldWithResponse(ctx, nil, pm.MetafieldCreate{Owner: op.LdID, Namespace: "custom", Key: "d", Type: pm.MetafieldTypeMetaobjectReference, Value: designer.LdID})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 422, "value")
		mine, err := c.CreateMetafieldWithResponse(ctx, nil, pm.MetafieldCreate{Owner: p.LdID, Namespace: "custom", Key: "x", Type: pm.MetafieldTypeSingleLineTextField, Value: "x"})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, mine, 422, "owner")
	})
}
