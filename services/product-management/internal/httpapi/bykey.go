package httpapi

// The …ByKey operations (/rest/api/{collection}/key={key}) find the resource by the partner's key
// and answer exactly as their by-id twins: each adapter only renames the twin's answer to the
// type the generated interface expects.

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// keyed is the id of the resource of kind with key in the caller's instance (not found when none
// has it); the caller needs read access to look it up, and its twin checks the rest.
func (s *Server) keyed(ctx context.Context, kind catalog.Kind, key string) (uuid.UUID, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return uuid.Nil, err
	}
	return s.Catalog.IDOfKey(ctx, t.InstanceID, kind, key)
}

func (s *Server) GetProductByKey(ctx context.Context, req api.GetProductByKeyRequestObject) (api.GetProductByKeyResponseObject, error) {
	id, err := s.keyed(ctx, catalog.KindProduct, req.Key)
	if err != nil {
		return nil, err
	}
	res, err := s.GetProduct(ctx, api.GetProductRequestObject{Id: id, Params: api.GetProductParams(req.Params)})
	if err != nil {
		return nil, err
	}
	return getProductByKey{res}, nil
}

type getProductByKey struct{ api.GetProductResponseObject }

func (r getProductByKey) VisitGetProductByKeyResponse(w http.ResponseWriter) error {
	return r.VisitGetProductResponse(w)
}

func (s *Server) UpdateProductByKey(ctx context.Context, req api.UpdateProductByKeyRequestObject) (api.UpdateProductByKeyResponseObject, error) {
	id, err := s.keyed(ctx, catalog.KindProduct, req.Key)
	if err != nil {
		return nil, err
	}
	res, err := s.UpdateProduct(ctx, api.UpdateProductRequestObject{Id: id, Params: api.UpdateProductParams(req.Params), Body: (*api.UpdateProductApplicationMergePatchPlusJSONRequestBody)(req.Body)})
	if err != nil {
		return nil, err
	}
	return updateProductByKey{res}, nil
}

type updateProductByKey struct {
	api.UpdateProductResponseObject
}

func (r updateProductByKey) VisitUpdateProductByKeyResponse(w http.ResponseWriter) error {
	return r.VisitUpdateProductResponse(w)
}

func (s *Server) DeleteProductByKey(ctx context.Context, req api.DeleteProductByKeyRequestObject) (api.DeleteProductByKeyResponseObject, error) {
	id, err := s.keyed(ctx, catalog.KindProduct, req.Key)
	if err != nil {
		return nil, err
	}
	res, err := s.DeleteProduct(ctx, api.DeleteProductRequestObject{Id: id, Params: api.DeleteProductParams(req.Params)})
	if err != nil {
		return nil, err
	}
	return deleteProductByKey{res}, nil
}

type deleteProductByKey struct {
	api.DeleteProductResponseObject
}

func (r deleteProductByKey) VisitDeleteProductByKeyResponse(w http.ResponseWriter) error {
	return r.VisitDeleteProductResponse(w)
}

func (s *Server) GetCategoryByKey(ctx context.Context, req api.GetCategoryByKeyRequestObject) (api.GetCategoryByKeyResponseObject, error) {
	id, err := s.keyed(ctx, catalog.KindCategory, req.Key)
	if err != nil {
		return nil, err
	}
	res, err := s.GetCategory(ctx, api.GetCategoryRequestObject{Id: id, Params: api.GetCategoryParams(req.Params)})
	if err != nil {
		return nil, err
	}
	return getCategoryByKey{res}, nil
}

type getCategoryByKey struct{ api.GetCategoryResponseObject }

func (r getCategoryByKey) VisitGetCategoryByKeyResponse(w http.ResponseWriter) error {
	return r.VisitGetCategoryResponse(w)
}

func (s *Server) UpdateCategoryByKey(ctx context.Context, req api.UpdateCategoryByKeyRequestObject) (api.UpdateCategoryByKeyResponseObject, error) {
	id, err := s.keyed(ctx, catalog.KindCategory, req.Key)
	if err != nil {
		return nil, err
	}
	res, err := s.UpdateCategory(ctx, api.UpdateCategoryRequestObject{Id: id, Params: api.UpdateCategoryParams(req.Params), Body: (*api.UpdateCategoryApplicationMergePatchPlusJSONRequestBody)(req.Body)})
	if err != nil {
		return nil, err
	}
	return updateCategoryByKey{res}, nil
}

type updateCategoryByKey struct {
	api.UpdateCategoryResponseObject
}

func (r updateCategoryByKey) VisitUpdateCategoryByKeyResponse(w http.ResponseWriter) error {
	return r.VisitUpdateCategoryResponse(w)
}

func (s *Server) DeleteCategoryByKey(ctx context.Context, req api.DeleteCategoryByKeyRequestObject) (api.DeleteCategoryByKeyResponseObject, error) {
	id, err := s.keyed(ctx, catalog.KindCategory, req.Key)
	if err != nil {
		return nil, err
	}
	res, err := s.DeleteCategory(ctx, api.DeleteCategoryRequestObject{Id: id, Params: api.DeleteCategoryParams(req.Params)})
	if err != nil {
		return nil, err
	}
	return deleteCategoryByKey{res}, nil
}

type deleteCategoryByKey struct {
	api.DeleteCategoryResponseObject
}

func (r deleteCategoryByKey) VisitDeleteCategoryByKeyResponse(w http.ResponseWriter) error {
	return r.VisitDeleteCategoryResponse(w)
}

func (s *Server) GetCollectionByKey(ctx context.Context, req api.GetCollectionByKeyRequestObject) (api.GetCollectionByKeyResponseObject, error) {
	id, err := s.keyed(ctx, catalog.KindCollection, req.Key)
	if err != nil {
		return nil, err
	}
	res, err := s.GetCollection(ctx, api.GetCollectionRequestObject{Id: id, Params: api.GetCollectionParams(req.Params)})
	if err != nil {
		return nil, err
	}
	return getCollectionByKey{res}, nil
}

type getCollectionByKey struct {
	api.GetCollectionResponseObject
}

func (r getCollectionByKey) VisitGetCollectionByKeyResponse(w http.ResponseWriter) error {
	return r.VisitGetCollectionResponse(w)
}

func (s *Server) UpdateCollectionByKey(ctx context.Context, req api.UpdateCollectionByKeyRequestObject) (api.UpdateCollectionByKeyResponseObject, error) {
	id, err := s.keyed(ctx, catalog.KindCollection, req.Key)
	if err != nil {
		return nil, err
	}
	res, err := s.UpdateCollection(ctx, api.UpdateCollectionRequestObject{Id: id, Params: api.UpdateCollectionParams(req.Params), Body: (*api.UpdateCollectionApplicationMergePatchPlusJSONRequestBody)(req.Body)})
	if err != nil {
		return nil, err
	}
	return updateCollectionByKey{res}, nil
}

type updateCollectionByKey struct {
	api.UpdateCollectionResponseObject
}

func (r updateCollectionByKey) VisitUpdateCollectionByKeyResponse(w http.ResponseWriter) error {
	return r.VisitUpdateCollectionResponse(w)
}

func (s *Server) DeleteCollectionByKey(ctx context.Context, req api.DeleteCollectionByKeyRequestObject) (api.DeleteCollectionByKeyResponseObject, error) {
	id, err := s.keyed(ctx, catalog.KindCollection, req.Key)
	if err != nil {
		return nil, err
	}
	res, err := s.DeleteCollection(ctx, api.DeleteCollectionRequestObject{Id: id, Params: api.DeleteCollectionParams(req.Params)})
	if err != nil {
		return nil, err
	}
	return deleteCollectionByKey{res}, nil
}

type deleteCollectionByKey struct {
	api.DeleteCollectionResponseObject
}

func (r deleteCollectionByKey) VisitDeleteCollectionByKeyResponse(w http.ResponseWriter) error {
	return r.VisitDeleteCollectionResponse(w)
}

func (s *Server) GetAttributeByKey(ctx context.Context, req api.GetAttributeByKeyRequestObject) (api.GetAttributeByKeyResponseObject, error) {
	id, err := s.keyed(ctx, catalog.KindAttribute, req.Key)
	if err != nil {
		return nil, err
	}
	res, err := s.GetAttribute(ctx, api.GetAttributeRequestObject{Id: id, Params: api.GetAttributeParams(req.Params)})
	if err != nil {
		return nil, err
	}
	return getAttributeByKey{res}, nil
}

type getAttributeByKey struct{ api.GetAttributeResponseObject }

func (r getAttributeByKey) VisitGetAttributeByKeyResponse(w http.ResponseWriter) error {
	return r.VisitGetAttributeResponse(w)
}

func (s *Server) UpdateAttributeByKey(ctx context.Context, req api.UpdateAttributeByKeyRequestObject) (api.UpdateAttributeByKeyResponseObject, error) {
	id, err := s.keyed(ctx, catalog.KindAttribute, req.Key)
	if err != nil {
		return nil, err
	}
	res, err := s.UpdateAttribute(ctx, api.UpdateAttributeRequestObject{Id: id, Params: api.UpdateAttributeParams(req.Params), Body: (*api.UpdateAttributeApplicationMergePatchPlusJSONRequestBody)(req.Body)})
	if err != nil {
		return nil, err
	}
	return updateAttributeByKey{res}, nil
}

type updateAttributeByKey struct {
	api.UpdateAttributeResponseObject
}

func (r updateAttributeByKey) VisitUpdateAttributeByKeyResponse(w http.ResponseWriter) error {
	return r.VisitUpdateAttributeResponse(w)
}

func (s *Server) DeleteAttributeByKey(ctx context.Context, req api.DeleteAttributeByKeyRequestObject) (api.DeleteAttributeByKeyResponseObject, error) {
	id, err := s.keyed(ctx, catalog.KindAttribute, req.Key)
	if err != nil {
		return nil, err
	}
	res, err := s.DeleteAttribute(ctx, api.DeleteAttributeRequestObject{Id: id, Params: api.DeleteAttributeParams(req.Params)})
	if err != nil {
		return nil, err
	}
	return deleteAttributeByKey{res}, nil
}

type deleteAttributeByKey struct {
	api.DeleteAttributeResponseObject
}

func (r deleteAttributeByKey) VisitDeleteAttributeByKeyResponse(w http.ResponseWriter) error {
	return r.VisitDeleteAttributeResponse(w)
}
