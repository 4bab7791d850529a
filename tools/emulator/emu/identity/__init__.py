"""AWS credential endpoints served beside HealthOmics: STS, the SSO portal,
container (ECS/EKS) credentials and EC2 instance metadata (IMDSv2)."""
