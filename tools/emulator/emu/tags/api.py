"""TagResource, UntagResource and ListTagsForResource."""

class TagApi:
    def __init__(self, registry):
        self.registry = registry

    def list_tags_for_resource(self, context, params):
        return {"tags": self.registry.tags_of(params["resourceArn"])}

    def tag_resource(self, context, params):
        self.registry.tag(params["resourceArn"], params["tags"])
        return {}

    def untag_resource(self, context, params):
        self.registry.untag(params["resourceArn"], params["tagKeys"])
        return {}
