"""maxResults/nextToken paging over items kept in creation order.

Each item has an increasing integer `seq`; the token names the last item
returned, so deleting items between pages does not skip or repeat others.
"""

import base64

from .errors import validation

DEFAULT_PAGE_SIZE = 100


def encode_token(seq):
    return base64.urlsafe_b64encode(f"after:{seq}".encode()).decode()


def decode_token(token):
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        prefix, _, number = text.partition(":")
        if prefix != "after":
            raise ValueError(text)
        return int(number)
    except ValueError:
        raise validation("Invalid pagination token") from None


def paginate(items, max_results=None, next_token=None):
    """(page, next_token or None) from items sorted by seq."""
    if next_token is not None:
        after = decode_token(next_token)
        items = [item for item in items if item.seq > after]
    size = max_results or DEFAULT_PAGE_SIZE
    page = items[:size]
    token = encode_token(page[-1].seq) if len(items) > size else None
    return page, token
