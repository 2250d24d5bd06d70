"""The web app: app factory, shared pages (home, login, jobs, admin), static files and catalogs."""
