"""Word lists for the demo tenants: names, streets, places, notes. Data only, no logic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """A town the demo clients live in: postal code prefix and centre coordinates."""

    city: str
    region: str
    postal_prefix: str
    lat: float
    lng: float
    area_code: str  # landline prefix, national digits without the trunk 0
    weight: int = 1


# --- Spain: Academia Lumen, a language school in Madrid ---------------------------------

ES_FIRST_NAMES = (
    "Lucía", "Sofía", "Martina", "María", "Julia", "Paula", "Valeria", "Emma", "Daniela",
    "Carla", "Alba", "Noa", "Sara", "Carmen", "Laura", "Marta", "Elena", "Ana", "Irene",
    "Claudia", "Nerea", "Ainhoa", "Rocío", "Beatriz", "Pilar", "Hugo", "Martín", "Pablo",
    "Lucas", "Mateo", "Leo", "Daniel", "Alejandro", "Manuel", "Álvaro", "Adrián", "Mario",
    "Diego", "Javier", "David", "Sergio", "Jorge", "Carlos", "Iván", "Raúl", "Rubén",
    "Íñigo", "Gonzalo", "Francisco", "José Luis", "Miguel Ángel", "Juan Carlos",
)  # fmt: skip
ES_SURNAMES = (
    "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
    "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
    "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos",
    "Gil", "Ramírez", "Serrano", "Blanco", "Molina", "Morales", "Suárez", "Ortega",
    "Delgado", "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "Núñez", "Iglesias", "Medina",
    "Garrido", "Cortés", "Castillo", "Santos", "Lozano", "Guerrero", "Cano", "Prieto",
    "Méndez", "Cruz", "Calvo", "Gallego", "Vidal", "León", "Herrera", "Peña", "Aguirre",
)  # fmt: skip
ES_STREETS = (
    "Calle de Alcalá", "Calle de Bravo Murillo", "Calle Mayor", "Calle de Serrano",
    "Calle de Toledo", "Calle de Atocha", "Paseo de la Castellana", "Calle de Princesa",
    "Calle de Fuencarral", "Calle de Embajadores", "Avenida de América", "Calle de Goya",
    "Calle de Arturo Soria", "Calle de López de Hoyos", "Avenida de la Albufera",
    "Calle del Doctor Esquerdo", "Calle de Sagasta", "Calle Real", "Avenida de Europa",
    "Calle de la Constitución", "Plaza de España", "Calle del Pilar", "Calle Nueva",
)  # fmt: skip
ES_PLACES = (
    Place("Madrid", "Comunidad de Madrid", "280", 40.4168, -3.7038, "91", 12),
    Place("Alcalá de Henares", "Comunidad de Madrid", "2880", 40.4818, -3.3643, "91", 2),
    Place("Getafe", "Comunidad de Madrid", "2890", 40.3083, -3.7327, "91", 2),
    Place("Móstoles", "Comunidad de Madrid", "2893", 40.3223, -3.8649, "91", 2),
    Place("Leganés", "Comunidad de Madrid", "2891", 40.3280, -3.7635, "91", 1),
    Place("Alcobendas", "Comunidad de Madrid", "2810", 40.5475, -3.6420, "91", 2),
    Place("Pozuelo de Alarcón", "Comunidad de Madrid", "2822", 40.4352, -3.8137, "91", 1),
    Place("Barcelona", "Cataluña", "080", 41.3874, 2.1686, "93", 1),
    Place("Valencia", "Comunitat Valenciana", "460", 39.4699, -0.3763, "96", 1),
    Place("Sevilla", "Andalucía", "410", 37.3891, -5.9845, "954", 1),
)
ES_EMAIL_DOMAINS = ("gmail.com", "hotmail.com", "yahoo.es", "outlook.es", "telefonica.net")
ES_COMPANIES = (
    "Talleres Navarro", "Construcciones Iberia", "Farmacia Castellana", "Gestoría Delgado",
    "Hotel Puerta del Sol", "Transportes Cano", "Clínica Dental Arganzuela", "Bodegas Ribera",
    "Inmobiliaria Chamberí", "Logística Henares", "Asesoría Molina", "Ópticas Retiro",
    "Grupo Editorial Atocha", "Consultora Prisma", "Seguros Castilla", "Laboratorios Sierra",
    "Restaurante El Fogón", "Estudio de Arquitectura Norte", "Software Meseta",
    "Academia de Danza Lavapiés",
)  # fmt: skip
ES_BUSINESS_KINDS = (
    "Talleres", "Gestoría", "Farmacia", "Clínica", "Transportes", "Asesoría", "Construcciones",
    "Inmobiliaria", "Ópticas", "Consultora", "Distribuciones", "Laboratorios",
)  # fmt: skip
ES_COMPANY_SUFFIXES = ("S.L.", "S.A.", "S.L.U.", "S. Coop.")
ES_COMPANY_DOMAINS = ("es", "es", "com")
ES_NOTES = (
    "Quiere preparar el First (B2) para junio.",
    "Prefiere clases por la tarde, a partir de las 18:00.",
    "Interesada en alemán para un traslado a Múnich.",
    "Pide presupuesto para formación in company de inglés (8 empleados).",
    "Hizo la prueba de nivel: B1 alto.",
    "Hermana de una alumna actual; posible descuento familiar.",
    "Llamar después de Semana Santa.",
    "Busca clases de conversación online, dos horas a la semana.",
    "Dejó el curso en febrero por motivos de trabajo.",
    "Vino por recomendación de su profesora del instituto.",
    "Quiere intensivo de verano en julio.",
    "Pregunta por el curso de español para su marido (A2).",
)
ES_LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")
ES_LANGUAGES = ("inglés", "alemán", "francés", "italiano", "español para extranjeros")
ES_SCHEDULES = ("mañana", "tarde", "sábados", "online")

# --- Argentina: Servicios Técnicos del Plata, field service in Buenos Aires ----------------

AR_FIRST_NAMES = (
    "Sofía", "Valentina", "Catalina", "Martina", "Camila", "Florencia", "Agustina", "Lucía",
    "Milagros", "Micaela", "Romina", "Natalia", "Silvina", "Graciela", "Mariela", "Carolina",
    "Julieta", "Mercedes", "Santiago", "Mateo", "Thiago", "Benjamín", "Joaquín", "Tomás",
    "Facundo", "Nicolás", "Matías", "Gonzalo", "Federico", "Lautaro", "Ezequiel", "Hernán",
    "Gustavo", "Sergio", "Marcelo", "Diego", "Pablo", "Ramiro", "Leandro", "Ignacio",
    "Juan Pablo", "María José",
)  # fmt: skip
AR_SURNAMES = (
    "González", "Rodríguez", "Gómez", "Fernández", "López", "Díaz", "Martínez", "Pérez",
    "García", "Sánchez", "Romero", "Sosa", "Álvarez", "Torres", "Ruiz", "Ramírez", "Flores",
    "Acosta", "Benítez", "Medina", "Suárez", "Herrera", "Aguirre", "Giménez", "Gutiérrez",
    "Pereyra", "Rojas", "Molina", "Castro", "Ortiz", "Silva", "Núñez", "Luna", "Cabrera",
    "Ríos", "Ferreyra", "Godoy", "Morales", "Domínguez", "Russo", "Ferrari", "Rossi",
    "Bianchi", "Romano", "Costa", "Fontana", "Greco", "Marino", "Lombardi", "Colombo",
)  # fmt: skip
AR_STREETS = (
    "Av. Corrientes", "Av. Santa Fe", "Av. Rivadavia", "Av. Cabildo", "Av. Córdoba",
    "Av. Callao", "Av. Belgrano", "Av. San Martín", "Av. Maipú", "Av. del Libertador",
    "Thames", "Gurruchaga", "Güemes", "Juramento", "Olazábal", "Acoyte", "Honduras",
    "Cramer", "Moreno", "Sarmiento", "Mitre", "Lavalle", "Av. Hipólito Yrigoyen",
    "Calle 7", "Calle 12", "Calle 50",
)  # fmt: skip
AR_PLACES = (
    Place("Ciudad Autónoma de Buenos Aires", "CABA", "C14", -34.6037, -58.3816, "11", 10),
    Place("Vicente López", "Buenos Aires", "B1638", -34.5266, -58.4748, "11", 2),
    Place("San Isidro", "Buenos Aires", "B1642", -34.4708, -58.5286, "11", 2),
    Place("Quilmes", "Buenos Aires", "B1878", -34.7206, -58.2546, "11", 2),
    Place("Lanús", "Buenos Aires", "B1824", -34.7000, -58.3950, "11", 1),
    Place("Morón", "Buenos Aires", "B1708", -34.6534, -58.6198, "11", 1),
    Place("La Plata", "Buenos Aires", "B1900", -34.9205, -57.9536, "221", 2),
)
AR_EMAIL_DOMAINS = ("gmail.com", "hotmail.com", "yahoo.com.ar", "fibertel.com.ar", "outlook.com")
AR_COMPANIES = (
    "Consorcio Av. Corrientes 3456", "Panadería La Espiga", "Frigorífico del Sur",
    "Consorcio Thames 1820", "Hotel Plaza Mayo", "Supermercado El Progreso",
    "Clínica San Jorge", "Colegio Nuestra Señora", "Farmacia Belgrano",
    "Gimnasio Palermo Fit", "Restaurante La Parrilla de Tito", "Estudio Contable Rossi",
    "Metalúrgica Quilmes", "Laboratorio Andino", "Cervecería Artesanal Lanús",
    "Heladería Vesubio", "Hospital Privado Norte", "Oficinas Catalinas Tower",
    "Consorcio Güemes 4120", "Depósito Logístico Morón",
)  # fmt: skip
AR_BUSINESS_KINDS = (
    "Panadería", "Farmacia", "Ferretería", "Estudio Contable", "Clínica", "Taller Mecánico",
    "Distribuidora", "Autoservicio", "Frigorífico", "Lavadero", "Inmobiliaria", "Gimnasio",
)  # fmt: skip
AR_COMPANY_SUFFIXES = ("S.A.", "S.R.L.", "S.A.S.")
AR_COMPANY_DOMAINS = ("com.ar",)
AR_NOTES = (
    "Mantenimiento preventivo de split cada 6 meses.",
    "Pidió presupuesto para instalar 3 equipos de aire acondicionado.",
    "La caldera pierde presión; visita técnica pendiente.",
    "Portero eléctrico con falla intermitente.",
    "Abono mensual de mantenimiento desde marzo.",
    "Coordinar visita con el encargado del edificio (tel. en portería).",
    "Reclamo por demora en la última visita: priorizar.",
    "Cliente pide factura A.",
    "Revisar instalación de gas antes del invierno.",
    "Quiere cambiar el termotanque por uno de alta recuperación.",
    "Acceso por cochera; pedir la llave al administrador.",
)
AR_EQUIPMENT = (
    "Split BGH 3000 fg",
    "Split Surrey 4500 fg",
    "Caldera Peisa Diva",
    "Termotanque Rheem 80 l",
    "Bomba presurizadora Rowa",
    "Grupo electrógeno Gamma",
    "Portero eléctrico Commax",
    "Cámara frigorífica",
)
AR_CONTRACTS = ("abono mensual", "abono trimestral", "por visita")


# --- the relationship around a client: what a year of work leaves behind ---------------------


@dataclass(frozen=True)
class Story:
    """One tenant's CRM vocabulary: tags, what activities say, notes, tasks, reasons."""

    tags: tuple[tuple[str, str], ...]  # name, #rrggbb
    activity_weights: dict[str, int]  # activity type → weight
    done: dict[str, tuple[tuple[str, str | None], ...]]  # type → (notes, result)
    scheduled: dict[str, tuple[str, ...]]  # type → notes
    cancelled: tuple[tuple[str, str], ...]  # notes, result
    private: tuple[tuple[str, str | None], ...]  # notes, result (seen by few)
    notes: tuple[str, ...]
    manager_notes: tuple[str, ...]
    tasks: tuple[str, ...]
    reasons: dict[str, tuple[str, ...]]  # stage reached → why


SCHOOL_STORY = Story(
    tags=(
        ("Inglés B2", "#1e88e5"),
        ("Matrícula 2027", "#43a047"),
        ("Beca", "#fb8c00"),
        ("Empresa", "#6d4c41"),
        ("Recomienda", "#8e24aa"),
        ("Examen oficial", "#e53935"),
        ("Online", "#00acc1"),
    ),
    activity_weights={"call": 30, "email": 24, "whatsapp": 22, "meeting": 14, "visit": 5,
                      "letter": 5},
    done={
        "call": (
            ("Llamada para informar de horarios y precios del curso de inglés B2.",
             "Interesada; pide el folleto por email"),
            ("Llamada de seguimiento tras la prueba de nivel.",
             "Nivel B1 alto; valorará el grupo de tarde"),
            ("Llamo para confirmar plaza en el grupo de septiembre.", "Confirma la matrícula"),
            ("No contesta; dejo mensaje en el buzón de voz.", "Sin respuesta"),
            ("Pregunta por el descuento familiar para su hermano.",
             "Le explico el 10 % del segundo alumno"),
            ("Llamada para renovar el curso del próximo trimestre.", "Renueva"),
        ),
        "email": (
            ("Envío del presupuesto de formación in company.", "Presupuesto enviado"),
            ("Envío del calendario de exámenes de Cambridge y las tasas.", "Leído"),
            ("Respuesta a su consulta sobre clases online de conversación.",
             "Pide probar una clase"),
            ("Envío de la factura del trimestre y el recibo de la matrícula.", "Enviado"),
        ),
        "whatsapp": (
            ("Le mando el enlace a la clase de prueba online.", "Confirma asistencia"),
            ("Recordatorio de la clase de prueba del jueves a las 18:00.", "Confirma"),
            ("Pregunta si hay plazas en el intensivo de julio.", "Le reservo plaza provisional"),
            ("Le paso el horario del grupo de sábados.", "Lo consultará en casa"),
        ),
        "meeting": (
            ("Reunión en la academia con la familia para explicar el método.",
             "Muy buena impresión; deciden esta semana"),
            ("Reunión con RR. HH. para definir los grupos de la empresa.",
             "Dos grupos de 6 personas, martes y jueves"),
            ("Tutoría de seguimiento con la profesora.", "Progreso bueno; apunta al B2 en junio"),
        ),
        "visit": (
            ("Visita a la empresa para hacer las pruebas de nivel.",
             "8 pruebas: 3 A2, 4 B1, 1 B2"),
            ("Visita a las oficinas para presentar la propuesta de formación.",
             "Piden ajustar el horario"),
        ),
        "letter": (
            ("Carta con el certificado de asistencia del trimestre.", None),
            ("Carta de bienvenida con el calendario del curso.", None),
        ),
    },
    scheduled={
        "call": (
            "Llamar para cerrar el horario del intensivo de verano.",
            "Llamar para confirmar la prueba de nivel.",
            "Llamar para la renovación del trimestre.",
        ),
        "meeting": (
            "Clase de prueba gratuita en la academia.",
            "Reunión con RR. HH. para el segundo grupo in company.",
        ),
        "whatsapp": ("Recordar la documentación de la beca.",),
        "visit": ("Pruebas de nivel en la empresa.",),
        "email": ("Enviar la propuesta de curso para el próximo trimestre.",),
    },
    cancelled=(
        ("Clase de prueba aplazada a petición del alumno.", "Cancelada por el cliente"),
        ("Reunión anulada: la responsable de RR. HH. está de baja.", "Se reprogramará"),
    ),
    private=(
        ("Comenta dificultades económicas; valorar beca parcial.", "Pendiente de decidir"),
        ("Queja sobre una profesora; lo hablo con dirección.", "Escalado a dirección"),
    ),
    notes=(
        "Prefiere que le llamemos después de las 17:00.",
        "Tiene el First aprobado desde 2024; quiere preparar el Advanced.",
        "Paga por domiciliación; IBAN actualizado en secretaría.",
        "Viene con su hija a las clases de los sábados.",
        "Pidió factura a nombre de la empresa.",
        "Le interesa el curso de alemán si abrimos grupo de tarde.",
        "Muy contenta con la profesora; nos ha recomendado a dos compañeras.",
        "Necesita certificado de asistencia para su empresa cada trimestre.",
    ),
    manager_notes=(
        "Revisado en la reunión comercial: prioridad alta.",
        "Aplicar la tarifa de empresa acordada con dirección.",
    ),
    tasks=(
        "Enviar presupuesto del intensivo de verano",
        "Llamar para confirmar la prueba de nivel",
        "Preparar la matrícula de septiembre",
        "Reenviar el calendario de exámenes Cambridge",
        "Confirmar horario del grupo de tarde",
        "Enviar la factura del trimestre",
        "Pedir documentación para la beca",
        "Preparar la propuesta in company",
        "Revisar el progreso con la profesora",
        "Enviar la encuesta de satisfacción",
    ),
    reasons={
        "prospect": ("Pidió información detallada de precios", "Hizo la prueba de nivel"),
        "visiting": ("Agendada clase de prueba", "Vendrá a conocer la academia"),
        "negotiation": ("Presupuesto enviado; negocia el descuento",
                        "Valorando horario y precio con su familia"),
        "won": ("Firmó la matrícula", "Aceptó el presupuesto in company",
                "Pagó la reserva de plaza"),
        "lost": ("Eligió otra academia más cerca de casa", "El precio no le encaja",
                 "No responde tras tres intentos", "Pospone el curso al año que viene"),
    },
)  # fmt: skip

FIELDSVC_STORY = Story(
    tags=(
        ("Contrato anual", "#2e7d32"),
        ("Urgente", "#d32f2f"),
        ("Zona Norte", "#1565c0"),
        ("Zona Sur", "#f9a825"),
        ("Equipo crítico", "#6a1b9a"),
        ("Factura A", "#546e7a"),
    ),
    activity_weights={"call": 26, "visit": 30, "whatsapp": 24, "email": 14, "meeting": 6},
    done={
        "call": (
            ("Llamó por pérdida de presión en la caldera.", "Se agenda visita técnica"),
            ("Llamada para coordinar el mantenimiento semestral.", "Visita acordada"),
            ("Reclamo por demora en la última visita.", "Se prioriza; disculpas ofrecidas"),
            ("No atiende; se deja mensaje al encargado.", "Sin respuesta"),
        ),
        "visit": (
            ("Mantenimiento preventivo de los splits del 3.er piso.",
             "Filtros limpios, carga de gas OK"),
            ("Visita por portero eléctrico sin audio en 4.º B.",
             "Se cambió el módulo de audio"),
            ("Revisión de la caldera antes del invierno.", "Quemador limpio; presión normal"),
            ("Diagnóstico de la cámara frigorífica.", "Falla el presostato; pedir repuesto"),
            ("Instalación de termotanque de alta recuperación.", "Instalado y probado"),
        ),
        "whatsapp": (
            ("El encargado manda fotos del tablero.", "Térmica dañada; llevar repuesto"),
            ("Confirmación del turno de mañana entre 9 y 12.", "Confirmado"),
            ("Envío del informe técnico en PDF.", "Recibido"),
        ),
        "email": (
            ("Envío de presupuesto por 3 equipos de 4500 fg.", "Presupuesto enviado"),
            ("Envío de la factura A del abono mensual.", "Enviada"),
            ("Propuesta de renovación del abono anual.", "La analizan en la asamblea"),
        ),
        "meeting": (
            ("Reunión con la administración del consorcio para renovar el abono.",
             "Renuevan el abono anual con ajuste trimestral"),
            ("Reunión con el jefe de mantenimiento del hospital.",
             "Piden guardia técnica los fines de semana"),
        ),
    },
    scheduled={
        "visit": (
            "Mantenimiento preventivo programado.",
            "Visita técnica por la caldera.",
            "Instalación de los equipos presupuestados.",
        ),
        "call": ("Llamar al administrador para la renovación del abono.",
                 "Confirmar el turno con el encargado."),
        "whatsapp": ("Avisar la llegada del técnico.",),
        "meeting": ("Reunión con el consorcio por el presupuesto anual.",),
    },
    cancelled=(
        ("Visita suspendida: no había quien abriera.", "Reprogramar"),
        ("El cliente canceló el turno por lluvia.", "Cancelada por el cliente"),
    ),
    private=(
        ("Deuda de dos abonos; hablar con administración antes de la próxima visita.",
         "En gestión de cobro"),
        ("El encargado pidió un descuento fuera de lista.", "Lo decide la gerencia"),
    ),
    notes=(
        "La llave de la sala de máquinas la tiene el encargado (int. 12).",
        "Solo se puede entrar por la cochera, de 8 a 17 h.",
        "Pide factura A con CUIT del consorcio.",
        "Equipo fuera de garantía desde marzo.",
        "El portero atiende de lunes a viernes; sábados llamar al administrador.",
        "Tiene dos splits BGH y una caldera Peisa en la planta baja.",
        "Cliente muy puntilloso con la limpieza después del trabajo.",
    ),
    manager_notes=(
        "Cliente estratégico: revisar cada visita con la gerencia.",
        "Aplicar el precio de abono acordado en la reunión de octubre.",
    ),
    tasks=(
        "Enviar presupuesto de instalación",
        "Coordinar visita con el encargado",
        "Pedir repuesto del módulo de audio",
        "Renovar el abono de mantenimiento",
        "Confirmar turno de visita técnica",
        "Emitir factura A",
        "Revisar garantía del equipo",
        "Llamar al administrador del consorcio",
        "Cargar el informe técnico de la visita",
        "Cotizar el cambio de termotanque",
    ),
    reasons={
        "prospect": ("Pidió presupuesto", "Recomendado por un consorcio vecino"),
        "visiting": ("Visita técnica de relevamiento coordinada",
                     "Relevamiento para el presupuesto"),
        "negotiation": ("Presupuesto enviado; negocian el precio del abono",
                        "Comparando con otra empresa"),
        "won": ("Aceptó el presupuesto", "Firmó el abono anual", "Pagó el anticipo"),
        "lost": ("Contrató a otra empresa", "Presupuesto fuera de su alcance",
                 "No responde desde hace un mes", "Vendieron el inmueble"),
    },
)  # fmt: skip
