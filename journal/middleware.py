from journal import sessions


class SessionsMiddleware:
    """Keeps the last activity and address of each open session (« Mes sessions »).

    After ``AuthenticationMiddleware``; writes at most once a minute per session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            sessions.toucher(request)
        return self.get_response(request)
