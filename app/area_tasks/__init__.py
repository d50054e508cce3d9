"""The area work list: every open task in the area, for managers and coordinators."""
