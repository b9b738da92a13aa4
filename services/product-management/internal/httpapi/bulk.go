package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/pkg/api/common"
	"github.com/flowkiwi/platform/pkg/eventfeed"
	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/requestvalidation"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/bulk"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

var exportsPath = iri.Base + "exports"

func renderExport(e bulk.Export, top bool) api.Export {
	self := exportsPath + "/" + e.ID.String()
	out := api.Export{LdID: self, LdType: "Export", Id: e.ID, Status: api.ExportStatus(e.Status), Products: e.Products,
		Filters: renderExportFilters(e.Filters), CreatedAt: e.CreatedAt, ExpiresAt: e.ExpiresAt,
		StartedAt: timePtrOrNull(e.StartedAt), FinishedAt: timePtrOrNull(e.FinishedAt), Error: render.Text(e.Error),
		EventsCursor: nullable.NewNullNullable[string](), Download: nullable.NewNullNullable[string]()}
	if e.EventsPosition != nil {
		out.EventsCursor = nullable.NewNullableWithValue(eventfeed.Cursor(*e.EventsPosition))
	}
	if e.Status == bulk.Completed {
		out.Download = nullable.NewNullableWithValue(self + "/download")
	}
	if top {
		out.LdContext = render.Context("Export")
	}
	return out
}

func timePtrOrNull(t *time.Time) nullable.Nullable[time.Time] {
	if t == nil {
		return nullable.NewNullNullable[time.Time]()
	}
	return nullable.NewNullableWithValue(t.UTC())
}

func renderExportFilters(f bulk.ExportFilters) api.ExportCreate {
	out := api.ExportCreate{Vendor: f.Vendor, CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore,
		UpdatedAfter: f.UpdatedAfter, UpdatedBefore: f.UpdatedBefore}
	if f.Status != nil {
		s := iri.Statuses.OfCode(string(*f.Status))
		out.Status = &s
	}
	if len(f.Tags) > 0 {
		t := strings.Join(f.Tags, ",")
		out.Tags = &t
	}
	if f.Channel != nil {
		c := iri.Channels.Of(*f.Channel)
		out.Channel = &c
	}
	if f.Collection != nil {
		c := iri.Collections.Of(*f.Collection)
		out.Collection = &c
	}
	return out
}

// exportFilters reads an export's filters; a reference that names nothing is a 422 at its field.
func exportFilters(b *api.ExportCreate, r *refReader) (bulk.ExportFilters, error) {
	f := bulk.ExportFilters{Vendor: b.Vendor, CreatedAfter: b.CreatedAfter, CreatedBefore: b.CreatedBefore,
		UpdatedAfter: b.UpdatedAfter, UpdatedBefore: b.UpdatedBefore}
	var vs fault.Violations
	if b.Status != nil {
		st, ok := catalog.StatusOf(iri.Statuses.Code(*b.Status))
		if !ok {
			vs.Add("status", "invalid_status", "unknown status; use draft, active or archived")
		}
		f.Status = &st
	}
	if b.Tags != nil {
		f.Tags = catalog.ParseTags("tags", b.Tags, &vs)
	}
	for _, ref := range []struct {
		field string
		value *string
		in    iri.Collection
		to    **uuid.UUID
	}{{"channel", b.Channel, iri.Channels, &f.Channel}, {"collection", b.Collection, iri.Collections, &f.Collection}} {
		if ref.value == nil {
			continue
		}
		id := r.of(ref.in)(*ref.value)
		// A key is known only once looked up (the second pass); anything else names nothing at once.
		if _, byKey := ref.in.Key(*ref.value); id == uuid.Nil && (!byKey || r.ids != nil) {
			vs.Add(ref.field, "unknown_"+ref.field, "no such "+ref.field+" in this instance")
		}
		*ref.to = &id
	}
	return f, vs.Err()
}

func (s *Server) CreateExport(ctx context.Context, req api.CreateExportRequestObject) (api.CreateExportResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	type read struct {
		f   bulk.ExportFilters
		err error
	}
	got, err := resolving(ctx, s, t.InstanceID, func(r *refReader) read { f, err := exportFilters(b, r); return read{f, err} })
	if err == nil {
		err = got.err
	}
	if err != nil {
		return nil, err
	}
	e, err := s.Bulk.CreateExport(ctx, t.InstanceID, locale, got.f)
	if err != nil {
		return nil, err
	}
	location := exportsPath + "/" + e.ID.String()
	return api.CreateExport202ApplicationLdPlusJSONResponse{Body: renderExport(e, true), Headers: api.CreateExport202ResponseHeaders{Location: &location}}, nil
}

func (s *Server) ListExports(ctx context.Context, req api.ListExportsRequestObject) (api.ListExportsResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Bulk.Exports(ctx, t.InstanceID, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView(exportsPath, requestQuery(ctx), page, per, total)
	return api.ListExports200ApplicationLdPlusJSONResponse{LdContext: render.Context("Export"), LdID: exportsPath, LdType: hydraCollection,
		TotalItems: total, Member: members(list, renderExport), View: &view}, nil
}

func (s *Server) GetExport(ctx context.Context, req api.GetExportRequestObject) (api.GetExportResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	e, err := s.Bulk.Export(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetExport200ApplicationLdPlusJSONResponse(renderExport(e, true)), nil
}

func (s *Server) DownloadExport(ctx context.Context, req api.DownloadExportRequestObject) (api.DownloadExportResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	file, err := s.Bulk.Download(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.DownloadExport200ApplicationxNdjsonResponse{Body: file}, nil
}

// Lines is the bulk Codec: lines are request bodies of the API (the create's shape, by keys).
type Lines struct{}

var _ bulk.Codec = Lines{}

// ExportLine renders a product as PUT /rest/api/products/key={key} takes it: every reference by
// key where the referenced resource has one (channels by code), images by src, option values by
// name and label, each variant's current prices; nothing a reimport would not set.
func (Lines) ExportLine(v catalog.View, p catalog.Product, refs bulk.Refs) ([]byte, error) {
	out := api.ProductCreate{Status: ptrTo(iri.Statuses.OfCode(string(p.Status)))}
	set := func(dst *nullable.Nullable[string], src *string) {
		if src != nil {
			*dst = nullable.NewNullableWithValue(*src)
		}
	}
	set(&out.Key, p.Key)
	set(&out.Vendor, p.Vendor)
	productTextsIn.Write(&out, p.ProductTexts, true)
	if len(p.Tags) > 0 {
		out.Tags = nullable.NewNullableWithValue(strings.Join(p.Tags, ","))
	}
	if p.Category != nil {
		ref := iri.Categories.Of(*p.Category)
		if c, ok := v.Categories[*p.Category]; ok && c.Key != nil {
			ref = iri.Categories.OfKey(*c.Key)
		}
		out.Category = nullable.NewNullableWithValue(ref)
	}
	if len(p.Collections) > 0 {
		list := make([]api.CollectionAssignment, len(p.Collections))
		for i, id := range p.Collections {
			list[i].Collection = iri.Collections.Of(id)
			if c, ok := v.Collections[id]; ok && c.Key != nil {
				list[i].Collection = iri.Collections.OfKey(*c.Key)
			}
		}
		out.Collections = &list
	}
	channelRef := func(id uuid.UUID) string {
		if c, ok := refs.Channels[id]; ok {
			return iri.Channels.OfKey(c.Code)
		}
		return iri.Channels.Of(id)
	}
	if len(p.Channels) > 0 {
		list := make([]api.ChannelAssignment, len(p.Channels))
		for i, id := range p.Channels {
			list[i].Channel = channelRef(id)
		}
		out.Channels = &list
	}
	srcs := map[uuid.UUID]string{}
	if len(p.Medias) > 0 {
		list := make([]api.MediaCreate, 0, len(p.Medias))
		for _, id := range p.Medias {
			m, ok := v.Medias[id]
			if !ok {
				continue
			}
			srcs[id] = m.Src
			mc := api.MediaCreate{Type: api.MediaType(m.Type), Src: m.Src}
			set(&mc.Alt, m.Alt)
			set(&mc.MimeType, m.MimeType)
			if m.Width != nil {
				mc.Width = nullable.NewNullableWithValue(*m.Width)
			}
			if m.Height != nil {
				mc.Height = nullable.NewNullableWithValue(*m.Height)
			}
			list = append(list, mc)
		}
		out.Medias = &list
	}
	if len(p.Values) > 0 {
		list := make([]api.AttributeValue, len(p.Values))
		for i, val := range p.Values {
			ref := iri.Attributes.Of(val.Attribute)
			if a, ok := refs.Attributes[val.Attribute]; ok && a.Key != nil {
				ref = iri.Attributes.OfKey(*a.Key)
			}
			var value any
			if err := json.Unmarshal(val.Value, &value); err != nil {
				return nil, err
			}
			list[i] = api.AttributeValue{Attribute: ref, Value: value}
		}
		out.AttributeValues = &list
	}
	if len(p.Options) > 0 {
		list := make([]api.OptionInput, len(p.Options))
		for i, o := range p.Options {
			list[i].Name = textOf(o.Name)
			list[i].Values = make([]string, len(o.Values))
			for j, val := range o.Values {
				list[i].Values[j] = textOf(val.Value)
			}
		}
		out.Options = &list
	}
	if len(p.Variants) > 0 {
		values := catalog.OptionValues(p)
		names := map[uuid.UUID]string{}
		for _, o := range p.Options {
			names[o.ID] = textOf(o.Name)
		}
		current := catalog.CurrentPrices(p.PriceHistory, price.Now())
		list := make([]api.VariantCreate, len(p.Variants))
		for i, vr := range p.Variants {
			vc := api.VariantCreate{Sku: vr.SKU}
			set(&vc.Title, vr.Title)
			set(&vc.Barcode, vr.Barcode)
			if len(vr.OptionValueIDs) > 0 {
				refs := make([]api.OptionValueReference, len(vr.OptionValueIDs))
				for k, id := range vr.OptionValueIDs {
					ov := values[id]
					if err := refs[k].FromOptionValueSelector(api.OptionValueSelector{Option: names[ov.OptionID], Value: textOf(ov.Value)}); err != nil {
						return nil, err
					}
				}
				vc.OptionValues = &refs
			}
			if len(vr.Medias) > 0 {
				ms := make([]api.VariantMediaAssignment, 0, len(vr.Medias))
				for _, id := range vr.Medias {
					if src, ok := srcs[id]; ok {
						ms = append(ms, api.VariantMediaAssignment{Src: ptrTo(src)})
					}
				}
				vc.Medias = &ms
			}
			if rows := current[vr.ID]; len(rows) > 0 {
				ps := make([]api.VariantPriceCreate, len(rows))
				for k, r := range rows {
					pc := api.VariantPriceCreate{Currency: r.Currency, Amount: render.Amount(r.Amount, r.Currency)}
					if r.ChannelID != nil {
						pc.Channel = nullable.NewNullableWithValue(channelRef(*r.ChannelID))
					}
					if r.Country != "" {
						pc.Country = nullable.NewNullableWithValue(r.Country)
					}
					if r.CompareAt != nil {
						pc.CompareAtAmount = nullable.NewNullableWithValue(render.Amount(*r.CompareAt, r.Currency))
					}
					if r.Dated {
						pc.ValidFrom = nullable.NewNullableWithValue(r.Start)
					}
					if !r.Open() {
						pc.ValidUntil = nullable.NewNullableWithValue(r.End)
					}
					ps[k] = pc
				}
				vc.Prices = &ps
			}
			list[i] = vc
		}
		out.Variants = &list
	}
	return json.Marshal(out)
}

func ptrTo[T any](v T) *T { return &v }

// textOf is a text, "" when there is none.
func textOf(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

var importsPath = iri.Base + "imports"

func renderImport(im bulk.Import, top bool) api.Import {
	self := importsPath + "/" + im.ID.String()
	out := api.Import{LdID: self, LdType: "Import", Id: im.ID, Status: api.ImportStatus(im.Status), Lines: im.Lines, Processed: im.Processed,
		Created: im.Created, Updated: im.Updated, Unchanged: im.Unchanged, Rejected: im.Rejected, CancelRequested: im.CancelRequested,
		Results: self + "/results", Error: render.Text(im.Error), CreatedAt: im.CreatedAt, StartedAt: timePtrOrNull(im.StartedAt),
		FinishedAt: timePtrOrNull(im.FinishedAt), ExpiresAt: im.ExpiresAt}
	if top {
		out.LdContext = render.Context("Import")
	}
	return out
}

func (s *Server) CreateImport(ctx context.Context, req api.CreateImportRequestObject) (api.CreateImportResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	if req.Body == nil {
		return nil, fault.BadRequest("a request body is required")
	}
	im, err := s.Bulk.CreateImport(ctx, t.InstanceID, locale, req.Body)
	if err != nil {
		return nil, err
	}
	location := importsPath + "/" + im.ID.String()
	return api.CreateImport202ApplicationLdPlusJSONResponse{Body: renderImport(im, true), Headers: api.CreateImport202ResponseHeaders{Location: &location}}, nil
}

func (s *Server) ListImports(ctx context.Context, req api.ListImportsRequestObject) (api.ListImportsResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Bulk.Imports(ctx, t.InstanceID, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView(importsPath, requestQuery(ctx), page, per, total)
	return api.ListImports200ApplicationLdPlusJSONResponse{LdContext: render.Context("Import"), LdID: importsPath, LdType: hydraCollection,
		TotalItems: total, Member: members(list, renderImport), View: &view}, nil
}

func (s *Server) GetImport(ctx context.Context, req api.GetImportRequestObject) (api.GetImportResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	im, err := s.Bulk.Import(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetImport200ApplicationLdPlusJSONResponse(renderImport(im, true)), nil
}

func (s *Server) CancelImport(ctx context.Context, req api.CancelImportRequestObject) (api.CancelImportResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	im, err := s.Bulk.CancelImport(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.CancelImport202ApplicationLdPlusJSONResponse(renderImport(im, true)), nil
}

// importResult is a line of an import's results (the spec's ImportResult).
type importResult struct {
	Line       int                `json:"line"`
	Key        *string            `json:"key,omitempty"`
	Status     int                `json:"status"`
	Unchanged  bool               `json:"unchanged,omitempty"`
	ID         *string            `json:"@id,omitempty"`
	Detail     string             `json:"detail,omitempty"`
	Violations []common.Violation `json:"violations,omitempty"`
}

func (s *Server) GetImportResults(ctx context.Context, req api.GetImportResultsRequestObject) (api.GetImportResultsResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	first, err := s.Bulk.Results(ctx, t.InstanceID, req.Id, 0, resultsPage)
	if err != nil {
		return nil, err
	}
	page, after := first, 0
	return api.GetImportResults200ApplicationxNdjsonResponse{Body: &pages{next: func() ([]byte, bool, error) {
		if page == nil {
			var err error
			if page, err = s.Bulk.Results(ctx, t.InstanceID, req.Id, after, resultsPage); err != nil {
				return nil, false, err
			}
		}
		if len(page) == 0 {
			return nil, false, nil
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for _, r := range page {
			line := importResult{Line: r.N, Key: r.Key, Status: r.Status, Unchanged: r.Unchanged}
			if r.Product != uuid.Nil {
				id := iri.Products.Of(r.Product)
				line.ID = &id
			}
			if r.Problem != nil {
				line.Detail = r.Problem.Detail
				for _, v := range r.Problem.Violations {
					code := v.Code
					line.Violations = append(line.Violations, common.Violation{PropertyPath: v.Path, Code: &code, Message: v.Message})
				}
			}
			if err := enc.Encode(line); err != nil {
				return nil, false, err
			}
		}
		after, page = page[len(page)-1].N, nil
		return buf.Bytes(), true, nil
	}}}, nil
}

const resultsPage = 1000

// pages reads a stream made a page at a time.
type pages struct {
	next func() ([]byte, bool, error)
	cur  []byte
	done bool
}

func (p *pages) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.done {
			return 0, io.EOF
		}
		body, more, err := p.next()
		if err != nil {
			return 0, err
		}
		p.cur, p.done = body, !more
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// productLine is the schema every import line is checked against, as a request body is.
var productLine = sync.OnceValues(func() (*openapi3.Schema, error) {
	doc, err := api.GetSpec()
	if err != nil {
		return nil, err
	}
	ref, ok := doc.Components.Schemas["ProductCreate"]
	if !ok || ref.Value == nil {
		return nil, errors.New("httpapi: the spec has no ProductCreate")
	}
	return ref.Value, nil
})

// ImportLines reads lines as PUT /rest/api/products/key={key} reads its body: each must be a JSON
// object that is a valid ProductCreate with a key; the references of all the lines by key are
// looked up at once.
func (Lines) ImportLines(ctx context.Context, lines [][]byte, idsOf func(ctx context.Context, refs []catalog.KeyRef) (map[catalog.KeyRef]uuid.UUID, error)) ([]bulk.Decoded, error) {
	schema, err := productLine()
	if err != nil {
		return nil, err
	}
	out := make([]bulk.Decoded, len(lines))
	bodies := make([]*api.ProductCreate, len(lines))
	for i, l := range lines {
		var v any
		obj, isObject := map[string]any(nil), false
		if json.Unmarshal(l, &v) == nil {
			obj, isObject = v.(map[string]any)
		}
		if !isObject {
			out[i].Err = fault.BadRequest("the line is not a JSON object")
			continue
		}
		key, _ := obj["key"].(string)
		out[i].Key = key
		if err := requestvalidation.ValidateJSON(schema, v); err != nil {
			out[i].Err = err
			continue
		}
		if key == "" {
			out[i].Err = fault.Invalid("key", "required", "every line of an import names its product by key")
			continue
		}
		var b api.ProductCreate
		if err := json.Unmarshal(l, &b); err != nil {
			out[i].Err = fault.BadRequest("the line is not a product")
			continue
		}
		bodies[i] = &b
	}
	r := &refReader{}
	named := make([][]catalog.KeyRef, len(lines)) // each line's references by key
	for i, b := range bodies {
		if b != nil {
			from := len(r.gathered)
			out[i].Input = productInput(b, r)
			named[i] = r.gathered[from:len(r.gathered):len(r.gathered)]
		}
	}
	if len(r.gathered) == 0 {
		return out, nil
	}
	ids, err := idsOf(ctx, r.gathered)
	if err != nil {
		return nil, err
	}
	r.ids = ids
	for i, b := range bodies {
		if b != nil {
			out[i].Input = productInput(b, r)
			for _, ref := range named[i] {
				out[i].Refs = append(out[i].Refs, bulk.FoundRef{KeyRef: ref, ID: ids[ref]})
			}
		}
	}
	return out, nil
}

// ImportEvent renders an import as its event's data.
func (Lines) ImportEvent(im bulk.Import) (json.RawMessage, error) {
	return json.Marshal(renderImport(im, true))
}
