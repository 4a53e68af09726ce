"""``asbhub serve`` and ``asbhub users``."""

from __future__ import annotations

import typer
import uvicorn

from asbhub.clikit import DbOption, database_url


def register(root: typer.Typer) -> None:
    @root.command("serve")
    def serve(
        db: DbOption = None,
        host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(8000, help="Port to listen on."),
    ) -> None:
        """Serve the web app."""
        from asbhub.web.app import create_app

        uvicorn.run(create_app(database_url(db)), host=host, port=port)
