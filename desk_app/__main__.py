from desk_app.launch import main

raise SystemExit(main())
