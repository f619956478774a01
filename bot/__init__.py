"""The Teams bot service: wiring (`create_app`), HTTP, authentication, storage, ticket work, scheduler and sends."""
