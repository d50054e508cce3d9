"""MAPP meetings: the calendar, agendas, attendance and the minutes editor (saves as you type)."""
