/* xdnd_drop.c: drops one file on an X window the way a file manager does
 * (the XDND protocol, version 5, offering text/uri-list), so the window
 * tests can check what a drop does. Built and run by tests/window_test.sh:
 *   xdnd_drop WINDOW-ID /absolute/path
 * Exits 0 once the window has taken the drop and said it is finished, 1 if
 * it refused it or did not answer within 10 seconds.
 *
 * The exchange: we own the XdndSelection and send XdndEnter, then
 * XdndPosition (the window's centre); the window answers XdndStatus; we
 * send XdndDrop; it asks for the selection as text/uri-list (we answer
 * "file:///path\r\n" through a property), then sends XdndFinished. */
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static Display *dpy;

static Atom atom(const char *name)
{
    return XInternAtom(dpy, name, False);
}

static void send_message(Window to, Atom type, long l0, long l1, long l2, long l3, long l4)
{
    XEvent e;
    memset(&e, 0, sizeof e);
    e.xclient.type = ClientMessage;
    e.xclient.window = to;
    e.xclient.message_type = type;
    e.xclient.format = 32;
    e.xclient.data.l[0] = l0;
    e.xclient.data.l[1] = l1;
    e.xclient.data.l[2] = l2;
    e.xclient.data.l[3] = l3;
    e.xclient.data.l[4] = l4;
    XSendEvent(dpy, to, False, NoEventMask, &e);
    XFlush(dpy);
}

/* Hands the URI list to the window that asked for it. */
static void answer_request(const XSelectionRequestEvent *r, const char *uri)
{
    Atom property = r->property != None ? r->property : r->target;
    XChangeProperty(dpy, r->requestor, property, r->target, 8, PropModeReplace,
                    (const unsigned char *)uri, (int)strlen(uri));
    XEvent n;
    memset(&n, 0, sizeof n);
    n.xselection.type = SelectionNotify;
    n.xselection.requestor = r->requestor;
    n.xselection.selection = r->selection;
    n.xselection.target = r->target;
    n.xselection.property = property;
    n.xselection.time = r->time;
    XSendEvent(dpy, r->requestor, False, NoEventMask, &n);
    XFlush(dpy);
}

int main(int argc, char **argv)
{
    if (argc != 3 || argv[2][0] != '/') {
        fprintf(stderr, "usage: xdnd_drop WINDOW-ID /absolute/path\n");
        return 2;
    }
    dpy = XOpenDisplay(NULL);
    if (!dpy) {
        fprintf(stderr, "xdnd_drop: cannot open the display\n");
        return 1;
    }
    Window target = (Window)strtoul(argv[1], NULL, 0);
    char uri[4200];
    snprintf(uri, sizeof uri, "file://%s\r\n", argv[2]);

    Window source = XCreateSimpleWindow(dpy, DefaultRootWindow(dpy), 0, 0, 1, 1, 0, 0, 0);
    Atom selection = atom("XdndSelection"), uri_list = atom("text/uri-list");
    Atom enter = atom("XdndEnter"), position = atom("XdndPosition"), status = atom("XdndStatus");
    Atom drop = atom("XdndDrop"), finished = atom("XdndFinished"), copy = atom("XdndActionCopy");
    XSetSelectionOwner(dpy, selection, source, CurrentTime);

    XWindowAttributes wa;
    Window child;
    int x, y;
    XGetWindowAttributes(dpy, target, &wa);
    XTranslateCoordinates(dpy, target, DefaultRootWindow(dpy), wa.width / 2, wa.height / 2, &x, &y,
                          &child);
    send_message(target, enter, (long)source, 5L << 24, (long)uri_list, 0, 0);
    send_message(target, position, (long)source, 0, ((long)x << 16) | y, CurrentTime, (long)copy);

    struct timespec pause = {0, 10 * 1000 * 1000};
    for (int waited = 0; waited < 1000; waited++) {
        while (XPending(dpy)) {
            XEvent e;
            XNextEvent(dpy, &e);
            if (e.type == SelectionRequest) {
                answer_request(&e.xselectionrequest, uri);
            } else if (e.type == ClientMessage && e.xclient.message_type == status) {
                if (!(e.xclient.data.l[1] & 1)) {
                    fprintf(stderr, "xdnd_drop: the window refused the drop\n");
                    return 1;
                }
                send_message(target, drop, (long)source, 0, CurrentTime, 0, 0);
            } else if (e.type == ClientMessage && e.xclient.message_type == finished) {
                XCloseDisplay(dpy);
                return 0;
            }
        }
        nanosleep(&pause, NULL);
    }
    fprintf(stderr, "xdnd_drop: no answer from window 0x%lx\n", (unsigned long)target);
    return 1;
}
