"""Helpers for responses read through Django's test client."""


def lire(reponse) -> bytes:
    """Reads a response to its end, as a WSGI server would, and returns its body.

    For a streamed response (Excel export, ``FileResponse``) the test client closes it once
    the stream is consumed, with the ``close_old_connections`` handler detached. Calling
    ``close()`` directly instead fires ``request_finished`` with that handler attached, which on
    PostgreSQL closes the test's database connection in the middle of its transaction (« the
    connection is closed » on the next query). Never call ``close()`` on a test response.
    """
    if reponse.streaming:
        return b"".join(reponse.streaming_content)
    return reponse.content
