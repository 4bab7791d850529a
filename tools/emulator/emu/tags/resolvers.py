"""Resolvers for resources whose backends keep them (and their creation tags)
themselves: reference stores and references, sequence stores and read sets.

A resolver maps an ARN to (kind, resource id, tags given at creation) while
the resource exists, else None (see registry.py).
"""

from ..errors import ServiceError


def _resource_parts(resource_arn):
    """'arn:aws:omics:r:a:referenceStore/1/reference/2' -> ['referenceStore', '1', 'reference', '2']"""
    fields = resource_arn.split(":", 5)
    return fields[5].split("/") if len(fields) == 6 else []


def _get(resource, name):
    return resource[name] if isinstance(resource, dict) else getattr(resource, name)


def _store_and_item(resource_arn, store_word, item_word, get_store, get_item,
                    store_kind, item_kind, item_tags):
    parts = _resource_parts(resource_arn)
    try:
        if len(parts) == 2 and parts[0] == store_word:
            store = get_store(parts[1])
            if _get(store, "arn") == resource_arn:
                return store_kind, _get(store, "id"), getattr(store, "tags", None)
        elif len(parts) == 4 and parts[0] == store_word and parts[2] == item_word:
            item = get_item(parts[1], parts[3])
            if _get(item, "arn") == resource_arn:
                return item_kind, _get(item, "id"), item_tags(item)
    except ServiceError:
        pass
    return None


def reference_resolver(backend):
    def resolve(resource_arn):
        return _store_and_item(resource_arn, "referenceStore", "reference",
                               backend.get_store, backend.get_reference,
                               "REFERENCE_STORE", "REFERENCE", lambda r: getattr(r, "tags", None))
    return resolve


def sequence_resolver(backend):
    def read_set_tags(read_set):
        attributes = getattr(read_set, "attributes", None)
        return getattr(attributes, "tags", None) or getattr(read_set, "tags", None)

    def resolve(resource_arn):
        return _store_and_item(resource_arn, "sequenceStore", "readSet",
                               backend.get_store, backend.get_read_set_record,
                               "SEQUENCE_STORE", "READ_SET", read_set_tags)
    return resolve
