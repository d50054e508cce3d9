"""The Strategic Management Board's pages: the SMB pack, the business plan and the annual audit."""
