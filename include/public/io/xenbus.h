/*
 * public/io/xenbus.h — the states a PV device's frontend and backend each
 * publish in their xenstore "state" node while they connect, Xen's numbers
 * (xen/include/public/io/xenbus.h), written out from the documented
 * interface.  The value in xenstore is the number in decimal.
 */
#ifndef PUBLIC_IO_XENBUS_H
#define PUBLIC_IO_XENBUS_H

enum xenbus_state {
    XenbusStateUnknown = 0,
    XenbusStateInitialising = 1,
    XenbusStateInitWait = 2,     /* backend: waiting for the frontend's details */
    XenbusStateInitialised = 3,  /* frontend: details written, waiting */
    XenbusStateConnected = 4,
    XenbusStateClosing = 5,      /* the device is being taken down */
    XenbusStateClosed = 6,
    XenbusStateReconfiguring = 7,
    XenbusStateReconfigured = 8
};

typedef enum xenbus_state XenbusState;

#endif
