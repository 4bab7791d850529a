"""TagResource, UntagResource and ListTagsForResource."""

from ..routing import Route
from ..shapes import ListOf, MapOf, Member, String, Structure

TAG_ARN = String(min=1, max=150, pattern="arn:.+")
TAG_KEY = String(min=1, max=128)
TAG_VALUE = String(min=0, max=256)

RESOURCE = {"resourceArn": Member(TAG_ARN, "uri", "resourceArn")}
LIST_TAGS_FOR_RESOURCE = Structure(RESOURCE, required=["resourceArn"])
TAG_RESOURCE = Structure({**RESOURCE, "tags": MapOf(TAG_KEY, TAG_VALUE, min=0, max=50)},
                         required=["resourceArn", "tags"])
UNTAG_RESOURCE = Structure({
    **RESOURCE,
    "tagKeys": Member(ListOf(TAG_KEY, min=0, max=50), "querystring", "tagKeys"),
}, required=["resourceArn", "tagKeys"])


class TagApi:
    def __init__(self, registry):
        self.registry = registry

    def routes(self):
        return [
            Route("GET", "/tags/{resourceArn}", "ListTagsForResource",
                  LIST_TAGS_FOR_RESOURCE, self.list_tags_for_resource),
            Route("POST", "/tags/{resourceArn}", "TagResource",
                  TAG_RESOURCE, self.tag_resource, status=204),
            Route("DELETE", "/tags/{resourceArn}", "UntagResource",
                  UNTAG_RESOURCE, self.untag_resource, status=204),
        ]

    def list_tags_for_resource(self, context, params):
        return {"tags": self.registry.tags_of(params["resourceArn"])}

    def tag_resource(self, context, params):
        self.registry.tag(params["resourceArn"], params["tags"])
        return {}

    def untag_resource(self, context, params):
        self.registry.untag(params["resourceArn"], params["tagKeys"])
        return {}
