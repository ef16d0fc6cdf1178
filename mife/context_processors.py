from mife.navigation import navigation_pour


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"navigation": navigation_pour(user), "role": user.role}
