"""Resolvers for resources whose operations keep them (and their creation
tags) themselves: reference stores and references, sequence stores and read
sets. A resolver maps an ARN to (kind, resource id, tags given at creation)
while the resource exists, else None (see registry.py)."""

from ..errors import ServiceError


def store_resolver(store_word, item_word, get_store, get_item, store_kind, item_kind):
    def resolve(resource_arn):
        fields = resource_arn.split(":", 5)
        parts = fields[5].split("/") if len(fields) == 6 else []
        try:
            if len(parts) == 2 and parts[0] == store_word:
                found, kind = get_store(parts[1]), store_kind
            elif len(parts) == 4 and parts[0] == store_word and parts[2] == item_word:
                found, kind = get_item(parts[1], parts[3]), item_kind
            else:
                return None
        except ServiceError:
            return None
        return (kind, found["id"], found.tags) if found["arn"] == resource_arn else None
    return resolve


def reference_resolver(api):
    return store_resolver("referenceStore", "reference", api.get_store, api.get_reference_record,
                          "REFERENCE_STORE", "REFERENCE")


def sequence_resolver(api):
    return store_resolver("sequenceStore", "readSet", api.get_store, api.get_read_set_record,
                          "SEQUENCE_STORE", "READ_SET")
