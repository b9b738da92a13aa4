-- A product's texts in the document are every text column of product_translations, by column
-- name, nulls left out (issue 25): a new translatable text is a column added to that table and a
-- field of catalog.ProductTextsOf, and no function body is copied for it again. This is the last
-- copy of product_document's body: it folds 028's wrapper (the key) back in, so the document is
-- built by one function again. The stored documents drop their null texts to match; their
-- revisions stay, as what they show is the same.
create or replace function product_document(i uuid, pid uuid) returns jsonb language plpgsql stable as $$
begin
return (select jsonb_build_object(
    'id', p.id, 'key', p.key, 'status', p.status, 'vendor', p.vendor, 'tags', to_jsonb(p.tags), 'version', p.version,
    'createdAt', p.created_at, 'updatedAt', p.updated_at, 'category', p.category_id,
    'texts', coalesce((select jsonb_object_agg(t.locale,
            jsonb_strip_nulls(to_jsonb(t) - '{instance_id,product_id,locale,product_created_at}'::text[]))
        from product_translations t where t.instance_id = i and t.product_id = pid), '{}'),
    'options', coalesce((select jsonb_agg(jsonb_build_object('id', o.id, 'position', o.position,
            'names', coalesce((select jsonb_object_agg(t.locale, t.name) from product_option_translations t
                where t.instance_id = i and t.option_id = o.id), '{}'),
            'values', coalesce((select jsonb_agg(jsonb_build_object('id', v.id, 'position', v.position,
                    'labels', coalesce((select jsonb_object_agg(t.locale, t.value) from option_value_translations t
                        where t.instance_id = i and t.value_id = v.id), '{}')) order by v.position, v.id)
                from option_values v where v.instance_id = i and v.product_id = pid and v.option_id = o.id), '[]')) order by o.position, o.id)
        from product_options o where o.instance_id = i and o.product_id = pid), '[]'),
    'variants', coalesce((select jsonb_agg(jsonb_build_object('id', v.id, 'sku', v.sku, 'title', v.title, 'barcode', v.barcode,
            'position', v.position, 'version', v.version, 'createdAt', v.created_at, 'updatedAt', v.updated_at,
            'optionValues', coalesce((select jsonb_agg(x.option_value_id order by o.position)
                from variant_option_values x
                join option_values ov on ov.instance_id = x.instance_id and ov.id = x.option_value_id
                join product_options o on o.instance_id = ov.instance_id and o.id = ov.option_id
                where x.instance_id = i and x.variant_id = v.id), '[]'),
            'medias', coalesce((select jsonb_agg(m.media_id order by m.position) from variant_medias m
                where m.instance_id = i and m.variant_id = v.id), '[]')) order by v.position, v.id)
        from variants v where v.instance_id = i and v.product_id = pid), '[]'),
    'channels', coalesce((select jsonb_agg(c.channel_id order by c.position) from product_channels c
        where c.instance_id = i and c.product_id = pid), '[]'),
    'collections', coalesce((select jsonb_agg(c.collection_id order by c.position) from product_collections c
        where c.instance_id = i and c.product_id = pid), '[]'),
    'medias', coalesce((select jsonb_agg(m.media_id order by m.position) from product_medias m
        where m.instance_id = i and m.product_id = pid), '[]'),
    'values', coalesce((select jsonb_agg(jsonb_build_object('attribute', a.attribute_id, 'value', a.value) order by a.position)
        from product_attribute_values a where a.instance_id = i and a.product_id = pid), '[]'),
    'metafields', coalesce((select jsonb_agg(jsonb_build_object('id', f.id, 'variant', f.variant_id, 'namespace', f.namespace,
            'key', f.key, 'type', f.type, 'value', f.value, 'createdAt', f.created_at, 'updatedAt', f.updated_at,
            'references', coalesce((select jsonb_agg(r.metaobject_id order by r.position) from metafield_references r
                where r.instance_id = f.instance_id and r.metafield_id = f.id), '[]')) order by f.namespace, f.key, f.id)
        from metafields f where f.instance_id = i and f.product_id = pid), '[]'),
    'prices', coalesce((select jsonb_agg(jsonb_build_object('id', r.id, 'revision', r.revision, 'variant', r.variant_id,
            'channel', r.channel_id, 'country', coalesce(r.country, ''), 'currency', r.currency, 'amount', r.amount,
            'compareAt', r.compare_at, 'dated', r.dated, 'start', r.starts_at, 'end', r.ends_at) order by r.variant_id, r.starts_at, r.id, r.revision)
        from prices r where r.instance_id = i and r.product_id = pid), '[]'))
from products p where p.instance_id = i and p.id = pid);
end
$$;

drop function product_graph_document(uuid, uuid);

update product_documents d set doc = jsonb_set(d.doc, '{texts}',
    (select coalesce(jsonb_object_agg(e.key, jsonb_strip_nulls(e.value)), '{}') from jsonb_each(d.doc -> 'texts') e))
where exists (select 1 from jsonb_each(d.doc -> 'texts') e, jsonb_each(e.value) v where v.value = 'null');
