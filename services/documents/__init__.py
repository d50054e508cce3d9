"""Documents that leave the screen: PDFs (agenda, minutes, executive summary) and .ics meeting invitations.

Import the module you need (``services.documents.pdf`` loads WeasyPrint; ``services.documents.ics`` does not).
"""
