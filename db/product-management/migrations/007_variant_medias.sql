-- Variants point at some of their product's medias, in order. The foreign key to product_medias
-- keeps a variant's medias a subset of its product's: detaching a media from the product (or
-- deleting it) detaches it from the variants too.
create table variant_medias (
    instance_id uuid not null,
    product_id  uuid not null,
    variant_id  uuid not null,
    media_id    uuid not null,
    position    integer not null,
    primary key (instance_id, variant_id, media_id),
    foreign key (instance_id, variant_id) references variants (instance_id, id) on delete cascade,
    foreign key (instance_id, product_id, media_id) references product_medias (instance_id, product_id, media_id) on delete cascade
);
create index variant_medias_product on variant_medias (instance_id, product_id);

-- References from metaobject fields to metaobjects, so a referenced metaobject cannot be deleted
-- (409) while another one refers to it. "no action" (checked at the end of the statement) lets a
-- metaobject that refers to itself be deleted.
create table metaobject_references (
    instance_id   uuid not null,
    metaobject_id uuid not null,
    field_key     text not null,
    referenced_id uuid not null,
    position      integer not null,
    primary key (instance_id, metaobject_id, field_key, position),
    foreign key (instance_id, metaobject_id) references metaobjects (instance_id, id) on delete cascade,
    constraint metaobject_references_referenced foreign key (instance_id, referenced_id) references metaobjects (instance_id, id)
);
create index metaobject_references_referenced_idx on metaobject_references (instance_id, referenced_id);

-- Record the references of metaobjects written before this table existed.
insert into metaobject_references (instance_id, metaobject_id, field_key, referenced_id, position)
select r.instance_id, r.id, r.key, o.id, r.ord - 1
from (
    select m.instance_id, m.id, f.key, x.iri, x.ord
    from metaobjects m
    join metaobject_definitions d on d.instance_id = m.instance_id and d.id = m.definition_id
    cross join lateral (select fd->>'key' as key, fd->>'type' as type, m.fields->>(fd->>'key') as value
                        from jsonb_array_elements(d.fields) fd) f
    cross join lateral (
        select f.value as iri, 1::bigint as ord where f.type = 'metaobject_reference'
        union all
        select e, o from jsonb_array_elements_text(case when f.type = 'list__metaobject_reference' then f.value::jsonb else '[]' end)
            with ordinality as t(e, o)
    ) x
    where f.value is not null and f.type in ('metaobject_reference', 'list__metaobject_reference')
) r
join metaobjects o on o.instance_id = r.instance_id and o.id::text = substring(r.iri from '^/rest/api/metaobjects/([0-9a-f-]{36})$')
on conflict do nothing;
