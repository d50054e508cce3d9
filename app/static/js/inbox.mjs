// My tasks: the "Filter tasks" details start open where there is room for them (tablet and wider), closed on a
// phone so the list comes first. Without JavaScript they start closed everywhere and open with one click.
const filter = document.getElementById("inbox-filter");
if (filter && window.matchMedia("(min-width: 40.0625em)").matches) {
  filter.open = true;
}
