"""The HTTP API and web page (`scriba serve`; needs the `serve` extra). Build an app with
`scriba.serve.app.create_app(ServeConfig(...))`."""
